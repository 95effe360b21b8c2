# Shared by the server scripts (sourced, not run).

# wait_for_url URL SECONDS LOG NAME: poll URL until it answers, then print PRINT_URL (default URL);
# exit 1 naming the log if it does not answer within SECONDS.
wait_for_url() {
  local url="$1" seconds="$2" log="$3" name="$4"
  for _ in $(seq 1 $((seconds * 2))); do
    if curl -fsS "$url" >/dev/null 2>&1; then echo "${PRINT_URL:-$url}"; exit 0; fi
    sleep 0.5
  done
  echo "$name did not start; see $log" >&2
  exit 1
}
