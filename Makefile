# The two set-up commands: `make run` and `make test`. Everything else is a helper.
PRESET_TEST ?= $(if $(CI),ci,debug)
JOBS ?= $(shell nproc)

.PHONY: run test deps build-release build-test bench demo clean format

run: deps build-release
	exec ./build/release/tools/tapid/tapid

test: deps build-test
	ctest --preset $(PRESET_TEST) -j $(JOBS)

deps:
	@bash scripts/install-deps.sh

build-release:
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

build-test:
	cmake --preset $(PRESET_TEST) >/dev/null
	cmake --build --preset $(PRESET_TEST) -j $(JOBS)

bench: deps
	cmake --preset release -DOPENTAPI_BUILD_BENCH=ON >/dev/null
	cmake --build --preset release -j $(JOBS)
	./build/release/bench/engine/engine_bench
	./build/release/bench/sip/sip_bench

demo: deps build-release
	./build/release/tools/demo/opentapi-demo

format:
	find include src tests tools bench examples fuzz -name '*.[ch]pp' -o -name '*.h' -o -name '*.c' 2>/dev/null | xargs clang-format -i

clean:
	rm -rf build
