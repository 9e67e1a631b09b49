# Checks that a documentation page shows example files verbatim, so that the
# example the page shows is the one the tests build and run.
#
#   cmake -DDOC=page.md -DROOT=<source dir> -DFILES=path[,path...] -P check_doc_snippet.cmake
#
# Each path (relative to ROOT) must appear in DOC as
#
#   <!-- snippet: path -->
#   ```lang
#   ...the file's exact contents...
#   ```
#
# Reading with file(READ) and searching with string(FIND) keeps the text
# whole: file(STRINGS) would split it at every semicolon of the code.
file(READ "${DOC}" doc)
string(REPLACE "," ";" files "${FILES}")
set(failed FALSE)
foreach(path IN LISTS files)
  file(READ "${ROOT}/${path}" expected)
  set(marker "<!-- snippet: ${path} -->\n```")
  string(FIND "${doc}" "${marker}" at)
  if(at EQUAL -1)
    message(SEND_ERROR "${DOC} has no snippet of ${path}")
    set(failed TRUE)
    continue()
  endif()
  # The block starts after the fence line (```lang) and ends before the
  # closing fence at the start of a line.
  string(LENGTH "${marker}" marker_length)
  math(EXPR at "${at} + ${marker_length}")
  string(SUBSTRING "${doc}" ${at} -1 rest)
  string(FIND "${rest}" "\n" eol)
  math(EXPR start "${eol} + 1")
  string(SUBSTRING "${rest}" ${start} -1 rest)
  string(FIND "${rest}" "\n```" end)
  if(end EQUAL -1)
    message(SEND_ERROR "the snippet of ${path} in ${DOC} is not closed")
    set(failed TRUE)
    continue()
  endif()
  math(EXPR length "${end} + 1")
  string(SUBSTRING "${rest}" 0 ${length} shown)
  if(NOT shown STREQUAL expected)
    message(SEND_ERROR "${DOC} shows ${path} differently from the file: copy the file into the page again")
    set(failed TRUE)
  else()
    message(STATUS "${DOC} shows ${path} verbatim")
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "documentation snippets differ from their files")
endif()
