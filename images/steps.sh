# Sourced by images/build.sh: a long step of the build says when it starts, with the build's
# elapsed time and, where an earlier build recorded how long the step took, an ETA, and when it
# ends how long it took. $step_durations is the file that keeps each step's last duration, one
# "KEY SECONDS" a line. Progress goes to the stderr the script had when it sourced this, so a
# step's own output can be redirected to a log.

exec {step_fd}>&2

# fmt_secs S: S seconds as 45s or 2m05s.
fmt_secs() {
  if [ "$1" -ge 60 ]; then printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); else printf '%ds' "$1"; fi
}

# step KEY MESSAGE COMMAND...: runs COMMAND as the build step KEY and returns its status. Only a
# step that succeeded records its duration.
step() {
  local key=$1 msg=$2 start=$SECONDS last rc=0 took
  shift 2
  last=$(awk -v k="$key" '$1 == k { d = $2 } END { print d }' "$step_durations" 2>/dev/null || true)
  echo "images/build.sh: [$(fmt_secs "$SECONDS")] $msg${last:+ (ETA $(fmt_secs "$last"), as the last build took)}" >&"$step_fd"
  "$@" || rc=$?
  took=$((SECONDS - start))
  if [ "$rc" = 0 ]; then
    echo "images/build.sh: [$(fmt_secs "$SECONDS")] $key done in $(fmt_secs "$took")" >&"$step_fd"
    { grep -v "^$key " "$step_durations" 2>/dev/null || true; echo "$key $took"; } >"$step_durations.tmp" &&
      mv "$step_durations.tmp" "$step_durations"
  fi
  return "$rc"
}
