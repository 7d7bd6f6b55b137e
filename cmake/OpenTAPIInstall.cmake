# Installing the C API for other projects: libtapi.so, tapi.h, tapi.pc (pkg-config) and
# OpenTAPIConfig.cmake (find_package(OpenTAPI) -> OpenTAPI::tapi). Both are relocatable:
# they find the prefix from their own location, so `cmake --install --prefix DIR` works.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS tapi EXPORT OpenTAPITargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/tapi/tapi.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tapi)

# pkg-config: prefix relative to the .pc file.
file(RELATIVE_PATH OPENTAPI_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" OPENTAPI_PC_TO_PREFIX "${OPENTAPI_PC_TO_PREFIX}")
set(OPENTAPI_SANITIZE_LIBS "")
if(OPENTAPI_SANITIZE)
  # A sanitizer build of libtapi.so needs its runtime in the program too.
  set(OPENTAPI_SANITIZE_LIBS " -fsanitize=address,undefined")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/tapi.pc.in ${PROJECT_BINARY_DIR}/tapi.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tapi.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# CMake package.
install(EXPORT OpenTAPITargets NAMESPACE OpenTAPI::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/OpenTAPI)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/OpenTAPIConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/OpenTAPIConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/OpenTAPI)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/OpenTAPIConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/OpenTAPIConfig.cmake
              ${PROJECT_BINARY_DIR}/OpenTAPIConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/OpenTAPI)
