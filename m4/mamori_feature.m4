# MAMORI_FEATURE(NAME, DESCRIPTION, DEFAULT, CHECK)
# A three-way optional feature: --enable-NAME=yes|no|check.
#  yes   the feature is required: a failed CHECK stops configure
#  no    the feature is not built and CHECK does not run
#  check CHECK runs and the feature is built when it succeeds
# CHECK must set mamori_have=yes or mamori_have=no. On return
# enable_NAME is yes or no.
AC_DEFUN([MAMORI_FEATURE], [
  AC_ARG_ENABLE([$1],
    [AS_HELP_STRING([--enable-$1=yes|no|check], [$2 (default: $3)])],
    [], [enable_$1=$3])
  AS_CASE(["$enable_$1"],
    [yes|no|check], [],
    [AC_MSG_ERROR([--enable-$1 takes yes, no or check, not '$enable_$1'])])
  AS_IF([test "x$enable_$1" != xno], [
    mamori_have=no
    $4
    AS_IF([test "x$mamori_have" = xyes], [enable_$1=yes], [
      AS_IF([test "x$enable_$1" = xyes],
        [AC_MSG_ERROR([--enable-$1=yes given but $2 is not available])])
      enable_$1=no
    ])
  ])
])
