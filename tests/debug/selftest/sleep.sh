# Debug harness self-test: load the planted module with bug=sleep and unload
# it; tests/debug/check.sh expects this boot to FAIL with a sleep report.
insmod /exeflow/exeflow.ko bug=sleep || echo "insmod bug=sleep failed"
sleep 1
rmmod exeflow_planted || echo "rmmod exeflow_planted failed"
echo "planted bug=sleep loaded and unloaded"
