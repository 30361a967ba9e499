# sweep-lib.sh - helpers of natlab/sweep.sh and natlab/sweep-cost.sh (sourced, not run): what a
# NAT of the lab forwarded towards the other NAT, and its conntrack entries towards it.

# the lab of natlab/try.sh, and its two NATs' public addresses
STATE="${NATLAB_STATE:-/run/xstunt-natlab}/try"
NAT1=203.0.113.1
NAT2=203.0.113.2

# SYNs (without ACK) that router $1 forwards from its LAN to address $2: a named counter.
add_counter() {
  ip netns exec "xl-$1" nft add counter inet xlnat syn_to_peer
  ip netns exec "xl-$1" nft insert rule inet xlnat forward iifname lan0 ip daddr "$2" \
    'tcp flags & (syn | ack) == syn' counter name syn_to_peer
}
syns() { ip netns exec "xl-$1" nft list counter inet xlnat syn_to_peer | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
entries() { ip netns exec "xl-$1" conntrack -L -p tcp --orig-dst "$2" 2>/dev/null | wc -l; }
forget() { ip netns exec "xl-$1" conntrack -D -p tcp --orig-dst "$2" >/dev/null 2>&1 || true; }
