# cmake -DIN=<file> -DOUT=<file.cc> -DNS=<namespace> -DVAR=<function> -P EmbedText.cmake
# Writes a .cc whose function VAR() returns the text of IN (e.g. a WSDL made
# at build time), so a binary can serve it without files beside it.
file(READ ${IN} text)
file(WRITE ${OUT}.tmp
  "// Generated from ${IN}. Do not edit.\n#include <string_view>\n\nnamespace ${NS} {\n"
  "std::string_view ${VAR}() {\n  return R\"mptext(${text})mptext\";\n}\n}  // namespace ${NS}\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
