# Debug harness self-test: a scenario that does nothing. It runs after
# leak.sh, so that the leak must be found by the kmemleak scan after the
# last scenario, not by one right after the leaking module's unload.
echo "idle"
