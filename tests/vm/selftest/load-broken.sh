# Loads the planted broken module; the harness must fail this boot.
insmod /exeflow/exeflow.ko
echo "broken module loaded without crashing"
