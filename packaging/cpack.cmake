# The edgeline-agent Debian package (CPack DEB): the binary, its systemd unit, the
# example config, and a system user created by postinst (packaging/deb/). Built by
#   cmake --build BUILD --target package      (or: cd BUILD && cpack -G DEB)
# for the build's target architecture (amd64 natively, arm64 with `make cross-arm64`).
# Only the "agent" component is packaged: the aggregator and the CLI are not in it.
install(TARGETS edgeline-agent RUNTIME DESTINATION bin COMPONENT agent)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/edgeline-agent.service
        DESTINATION /lib/systemd/system COMPONENT agent)
install(FILES ${CMAKE_SOURCE_DIR}/config/agent.example.conf
        DESTINATION share/edgeline-agent COMPONENT agent)
install(FILES ${CMAKE_SOURCE_DIR}/docs/operations.md ${CMAKE_SOURCE_DIR}/docs/configuration.md
              ${CMAKE_SOURCE_DIR}/docs/metrics.md ${CMAKE_SOURCE_DIR}/docs/job-spec.md
        DESTINATION share/doc/edgeline-agent COMPONENT agent)

# Debian architecture of the target (dpkg --print-architecture would name the build host).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(EDGELINE_DEB_ARCH arm64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|amd64|AMD64)$")
  set(EDGELINE_DEB_ARCH amd64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm")
  set(EDGELINE_DEB_ARCH armhf)
else()
  set(EDGELINE_DEB_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME edgeline-agent)
set(CPACK_PACKAGE_VENDOR edgeline)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "edgeline maintainers <edgeline@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "edgeline agent: cleans local sensor data and publishes it over MQTT")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)
set(CPACK_COMPONENTS_ALL agent)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_PACKAGE_NAME edgeline-agent)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # edgeline-agent_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${EDGELINE_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/edgeline/edgeline")
# Library dependencies from dpkg-shlibdeps (works for arm64 too when the :arm64 runtime
# libraries are installed, as `make cross-arm64` does), plus what the scripts use and the
# zone database the agent reads for schema.timestamp.timezone (/usr/share/zoneinfo).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, tzdata")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/deb/postinst
    ${CMAKE_SOURCE_DIR}/packaging/deb/prerm
    ${CMAKE_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES ON)  # CMAKE_STRIP: the cross strip when cross-compiling
include(CPack)
