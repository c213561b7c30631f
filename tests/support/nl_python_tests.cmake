# nl_python_tests(<label> <timeout-seconds>): one CTest test per
# ${CMAKE_CURRENT_SOURCE_DIR}/test_*.py, named <label>_<stem>, run by Debian's
# /usr/bin/python3 (the interpreter that sees python3-grpcio, -protobuf and
# -h2), with the paths the fixture (tests/support/nlserver.py) reads and the
# sanitizer options of NL_TEST_ENV. Needs the nhanlucd target; the CLI path is
# passed only when the nhanluc target exists (the CLI tests skip otherwise).
set(NL_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with Debian's grpcio, protobuf and h2")

function(nl_python_tests label timeout)
  if(NOT TARGET nhanlucd)
    return()
  endif()
  file(GLOB files CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/test_*.py)
  set(env ${NL_TEST_ENV}
      "NHANLUCD=$<TARGET_FILE:nhanlucd>"
      "NL_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
      "NL_GRPC_PROTO_DIR=${NL_GRPC_PROTO_DIR}"
      "PYTHONDONTWRITEBYTECODE=1")
  if(TARGET nhanluc)
    list(APPEND env "NHANLUC=$<TARGET_FILE:nhanluc>")
  endif()
  foreach(file ${files})
    get_filename_component(stem ${file} NAME_WE)
    add_test(NAME ${label}_${stem} COMMAND ${NL_PYTHON} ${file})
    set_tests_properties(${label}_${stem} PROPERTIES LABELS ${label} TIMEOUT ${timeout}
                         ENVIRONMENT "${env}")
  endforeach()
endfunction()
