# cmake -DSRC=<repo>/src -P check_layers.cmake
cmake_minimum_required(VERSION 3.20)
# Fails when a file in src/ includes a project header from a folder its layer may not use
# (CONVENTIONS.md rule 1: layers form a one-way chain). Each entry: folder, then the
# folders (besides itself) whose headers it may include.
set(rules
  "base|"
  "spi|base"
  "sip/message|base"
  "sip|base sip/message"
  "sip/transport|base sip/message sip"
  "sip/transaction|base sip/message sip sip/transport"
  "sip/headers|base sip/message"
  "sip/sdp|base"
  "sip/auth|base sip/message"
  "sip/dialog|base sip/message sip sip/transport"
  "sip/session|base sip/message sip sip/transport sip/transaction sip/dialog sip/headers"
  "providers/sim|base spi"
  "providers/sip/cause|base spi sip/message sip/headers"
  "providers/sip|base spi sip/message sip sip/transport sip/transaction sip/dialog sip/session sip/headers sip/sdp sip/auth providers/sip/cause"
  "providers/multi|base spi"
  "engine|base spi"
  "cdr|base"
  "client|base spi engine providers/sim cdr"
  "server|base spi engine providers/sim providers/sip providers/multi cdr client"
  "capi|base spi engine providers/sim client cdr"
)
set(failures "")
foreach(rule ${rules})
  string(REPLACE "|" ";" parts "${rule}")
  list(GET parts 0 folder)
  list(LENGTH parts n)
  set(allowed "${folder}")
  if(n GREATER 1)
    list(GET parts 1 lower)
    string(REPLACE " " ";" lower "${lower}")
    list(APPEND allowed ${lower})
  endif()
  file(GLOB files ${SRC}/${folder}/*.hpp ${SRC}/${folder}/*.cpp ${SRC}/${folder}/detail/*.hpp
       ${SRC}/${folder}/detail/*.cpp)
  foreach(f ${files})
    file(STRINGS ${f} lines REGEX "^#include \"")
    foreach(line ${lines})
      string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" inc "${line}")
      get_filename_component(dir "${inc}" DIRECTORY)
      set(ok FALSE)
      foreach(a ${allowed})
        if(dir STREQUAL a OR dir MATCHES "^${a}/detail$")
          set(ok TRUE)
        endif()
      endforeach()
      if(NOT ok)
        file(RELATIVE_PATH rel ${SRC} ${f})
        string(APPEND failures "  src/${rel} includes \"${inc}\" (${folder} may use: ${allowed})\n")
      endif()
    endforeach()
  endforeach()
endforeach()
# Every src folder with sources must have a rule.
file(GLOB_RECURSE all_sources ${SRC}/*.cpp)
foreach(f ${all_sources})
  file(RELATIVE_PATH rel ${SRC} ${f})
  get_filename_component(dir "${rel}" DIRECTORY)
  string(REGEX REPLACE "/detail$" "" dir "${dir}")
  set(known FALSE)
  foreach(rule ${rules})
    string(REGEX REPLACE "\\|.*" "" folder "${rule}")
    if(dir STREQUAL folder)
      set(known TRUE)
    endif()
  endforeach()
  if(NOT known)
    string(APPEND failures "  src/${rel}: folder ${dir} has no layer rule in check_layers.cmake\n")
  endif()
endforeach()
if(failures)
  message(FATAL_ERROR "Includes that break the layer order:\n${failures}")
endif()
message(STATUS "layer order respected")
