#!/bin/busybox sh
# /init of the test guest: loads the teaming and NIC drivers, puts the guest IP (kernel arg gip=) on the
# net_failover master and answers UDP echo. Markers on the serial console tell the tests how far it got.
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo "GUEST-BOOT uptime=$(cut -d' ' -f1 /proc/uptime)"
# module parameters come from the kernel command line as MODULE.PARAM=VALUE, as modprobe would pass them
while read -r m; do
    mod=${m%.ko}
    params=$(tr ' ' '\n' < /proc/cmdline | sed -n "s/^$mod\.//p" | tr '\n' ' ')
    insmod "/mods/$m" $params || echo "GUEST-INSMOD-FAILED $m"
done < /mods/order
gip=$(sed -n 's/.*gip=\([^ ]*\).*/\1/p' /proc/cmdline)
port=$(sed -n 's/.*gport=\([0-9]*\).*/\1/p' /proc/cmdline)
# the failover master is the netdev whose driver is net_failover (virtio_net creates it with the standby NIC)
master=
for i in $(seq 1 50); do
    for d in /sys/class/net/*; do
        ls "$d" | grep -q '^lower_' && master=${d##*/}
    done
    [ -n "$master" ] && break
    sleep 0.1
done
[ -n "$master" ] || { echo "GUEST-NO-FAILOVER-MASTER"; ip -o link; }
for d in /sys/class/net/*; do ip link set "${d##*/}" up; done
[ -n "$master" ] && ip addr add "$gip" dev "$master"
echo "GUEST-NET master=$master ip=$gip"
ip -o link | sed 's/^/  /'
/bin/udp-echo "${port:-9999}" &
echo_pid=$!
echo "GUEST-NCPU $(grep -c ^processor /proc/cpuinfo)"
echo "GUEST-READY uptime=$(cut -d' ' -f1 /proc/uptime)"
# heartbeat; whenever the guest's links change, their state and the kernel's latest messages (hot-plug, failover)
i=0
prev=
while true; do
    i=$((i + 1))
    now="$(ip -o link | sed 's/\\.*//; s/qdisc.*master/master/; s/ qdisc.*//')
$(ip -o -4 addr show dev "$master" 2>/dev/null | awk '{print "  addr " $2 " " $4}')"
    echo "HB $i uptime=$(cut -d' ' -f1 /proc/uptime)"
    # the echo is test instrumentation: if it ever dies, say so (the probe's figures are void) and start it again
    if ! kill -0 "$echo_pid" 2>/dev/null; then
        echo "GUEST-ECHO-DIED"
        /bin/udp-echo "${port:-9999}" &
        echo_pid=$!
    fi
    # e1000e takes its module parameters per board number, which grows with every hot-plug (guest-xml.sh)
    if [ -z "${e1000e_defaults:-}" ] && dmesg | grep -q 'e1000e.*no configuration for board'; then
        echo "GUEST-E1000E-DEFAULTS: an e1000e board runs past the IntMode values of the kernel command line"
        e1000e_defaults=1
    fi
    if [ "$now" != "$prev" ]; then
        echo "GUEST-LINKS-CHANGED"; echo "$now" | sed 's/^/  /'
        dmesg | tail -n 8 | grep -v LNKS | sed 's/^/  dmesg: /'
        prev=$now
    fi
    sleep 1
done
