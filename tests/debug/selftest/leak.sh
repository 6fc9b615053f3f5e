# Debug harness self-test: load the planted module with bug=leak and unload
# it; tests/debug/check.sh expects this boot to FAIL with a leak report.
insmod /exeflow/exeflow.ko bug=leak || echo "insmod bug=leak failed"
sleep 1
rmmod exeflow_planted || echo "rmmod exeflow_planted failed"
echo "planted bug=leak loaded and unloaded"
