# Debug harness self-test: load the planted module with bug=slab and unload
# it; tests/debug/check.sh expects this boot to FAIL with a slab report.
insmod /exeflow/exeflow.ko bug=slab || echo "insmod bug=slab failed"
sleep 1
rmmod exeflow_planted || echo "rmmod exeflow_planted failed"
echo "planted bug=slab loaded and unloaded"
