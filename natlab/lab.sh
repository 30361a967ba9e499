#!/usr/bin/env bash
# natlab: a network-namespace NAT lab for xstunt-java. See natlab/README.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
P="${NATLAB_PREFIX:-xl-}"                       # namespace name prefix
STATE="${NATLAB_STATE:-/run/xstunt-natlab}"     # pids, logs, config of the running lab
PY=/usr/bin/python3

# ---- addressing (documentation ranges on the public side, 10/8 behind NATs)
SRV_IP1=198.51.100.10; SRV_IP2=198.51.100.11; PUB_IP=198.51.100.20
NAT1_PUB=203.0.113.1;  NAT2_PUB=203.0.113.2
NAT1_GW=10.0.1.1;      NAT2_GW=10.0.2.1
H1_IP=10.0.1.10;       H3_IP=10.0.1.11;       H2_IP=10.0.2.10
# --ipv6: documentation prefix 2001:db8::/32; the bridge is the "internet", each LAN a /64
V6_INET=2001:db8:ffff;  V6_LAN1=2001:db8:1;   V6_LAN2=2001:db8:2
SHORT_NAMES=(inet srv pub nat1 nat2 h1 h2 h3)

usage() {
  cat <<'EOF'
lab.sh - network-namespace NAT lab (run as root)

  lab.sh up [options]     tear down any old lab, then build a new one
  lab.sh down             remove namespaces, wire processes, state (idempotent)
  lab.sh status           what exists now
  lab.sh nat N MODE       router N maps ports by MODE from now on (open connections keep theirs)
  lab.sh selftest         check the running lab (PASS/FAIL per check, rc!=0 on failure)
  lab.sh exec NS CMD...   run CMD inside namespace NS (h1 or xl-h1)
  lab.sh shell NS         interactive shell inside NS
  lab.sh help

Namespaces (prefix xl-, env NATLAB_PREFIX):
  xl-inet  bridge br0 = "the internet"     xl-srv   198.51.100.10 + .11 (STUNT server)
  xl-pub   198.51.100.20 (no NAT)          xl-nat1  203.0.113.1 / 10.0.1.1/24
  xl-nat2  203.0.113.2 / 10.0.2.1/24       xl-h1    10.0.1.10 (behind nat1)
  xl-h3    10.0.1.11 (behind nat1)         xl-h2    10.0.2.10 (behind nat2)

up options (per router N = 1 or 2; the form without N sets both routers;
later flags override earlier ones):
  --natN MODE        port mapping of router N (default preserve)
      preserve       nft `masquerade`: source port kept when the tuple is free
      random         nft `masquerade fully-random`: random port per connection
      offset         nft `snat to PUB:20000-29999`: never the local port (hosts'
                     ephemeral ports are 32768-60999), a random port in the range
                     for the first connection from a local ip:port, then the SAME
                     public port for every later connection from it to any
                     destination while one conntrack entry of it exists (cone)
      sequential     nft `snat to PUB : numgen inc mod N map { 0 : LO, 1 : LO+STEP,
                     ... }` over the offset range: the i-th new connection
                     through the router, from any host, gets LO + i*STEP (mod
                     the range): a delta-STEP symmetric NAT whose sequence other
                     hosts' connections advance (issue 11's disturbed mapping)
  --offset-range LO-HI   range used by offset and sequential (default 20000-29999)
  --seq-step N       port step of sequential, 1-1000 (default 2)
  --inboundN POLICY  answer to unsolicited inbound packets on the public side
                     (new connections, and packets conntrack finds invalid)
      drop           silently dropped (default)
      rst            TCP: `reject with tcp reset`; other: ICMP port unreachable
      icmp           `reject with icmpx type port-unreachable` (ICMP 3/3)
      icmp-admin     `reject with icmpx type admin-prohibited` (ICMP 3/13)
  --delayN MS        one-way delay on router N's public link, each direction
                     (userspace wire.py between two TAPs; 0 = plain veth)
  --delay-srv MS     same, on the server's link;  --delay-pub MS  on xl-pub's
  --lossN PCT        random loss on router N's public link, each direction
                     (nft netdev ingress `numgen random mod 10000 < PCT*100`
                     on the router's wan0 and on its bridge port); 0.01 steps
  --liberal          net.netfilter.nf_conntrack_tcp_be_liberal=1 in both NAT
                     namespaces (per-netns sysctl; default strict tracking)
  --ipv6             dual stack: IPv6 on besides the NATed IPv4, no NAT66; each
                     router forwards 2001:db8:N::/64 (h1 2001:db8:1::10, h3 ::11,
                     h2 2001:db8:2::10) through the same inet filter, so its
                     --inboundN policy is the hosts' stateful IPv6 firewall
                     (established/related accepted, unsolicited SYNs dropped,
                     reset or refused); routers on the bridge 2001:db8:ffff::N,
                     the server 2001:db8:ffff::10 (default: IPv6 disabled)
  --ipv6-drop N      with --ipv6: router N (1, 2, or 0 for none) drops every IPv6
                     TCP packet it would forward, both ways: the hosts keep their
                     global addresses (and register them), but no IPv6 connection
                     gets through (IPv4 must win the race; default 0)

Examples:
  lab.sh up --nat1 preserve --nat2 preserve --inbound1 drop --inbound2 rst
  lab.sh up --nat1 random --nat2 offset --delay 25 --loss 1
  lab.sh up --nat1 sequential --seq-step 2 --nat2 preserve --delay1 20
  lab.sh exec h1 java -cp ... ; lab.sh selftest ; lab.sh down
EOF
}

die() { echo "lab.sh: error: $*" >&2; exit 1; }
say() { echo "lab.sh: $*"; }

full() { # h1 | xl-h1 -> xl-h1
  local n=$1
  [[ $n == "$P"* ]] && { echo "$n"; return; }
  echo "$P$n"
}
nsx() { local n; n=$(full "$1"); shift; ip netns exec "$n" "$@"; }
nsip() { local n; n=$(full "$1"); shift; ip -n "$n" "$@"; }
sysctl_ns() { nsx "$1" sysctl -qw "$2=$3" >/dev/null; }

now_ns() { date +%s%N; }
# wait_until SECONDS DESCRIPTION CMD... : poll CMD every 50 ms, die after SECONDS
wait_until() {
  local secs=$1 what=$2; shift 2
  local end=$(( $(now_ns) + secs * 1000000000 ))
  until "$@" >/dev/null 2>&1; do
    (( $(now_ns) < end )) || die "timed out after ${secs}s waiting for: $what"
    sleep 0.05
  done
}

need_root() { [[ $EUID -eq 0 ]] || die "must run as root"; }
need_tools() {
  local t
  for t in ip nft conntrack ping sysctl; do
    command -v "$t" >/dev/null 2>&1 || die "$t not found: run natlab/install-deps.sh"
  done
  [[ -x $PY ]] || die "$PY not found: run natlab/install-deps.sh"
  [[ -e /dev/net/tun ]] || die "/dev/net/tun missing (needed for --delay*)"
}

lock() { exec 9<"$HERE/lab.sh"; flock -w 120 9 || die "another lab.sh up/down/selftest holds the lock"; }

our_ns() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${P}[a-z0-9]+$" || true; }

pid_alive() { # a zombie (state Z, waiting for PID 1 to reap it) counts as gone
  local st
  st=$( { awk '{print $3}' "/proc/$1/stat"; } 2>/dev/null) || return 1
  [[ -n $st && $st != Z ]]
}

is_our_wire() { # pid -> true if it is a wire.py of this state dir
  local cl
  cl=$( { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null) || return 1
  [[ $cl == *"/wire.py "* && $cl == *"--pidfile $STATE/wire-"* ]]
}

kill_pids() { # TERM the pids, wait up to 5s, then KILL the rest
  local pids=("$@") p end
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  end=$(( $(now_ns) + 5000000000 ))
  for p in "${pids[@]}"; do
    while pid_alive "$p" && (( $(now_ns) < end )); do sleep 0.05; done
  done
  for p in "${pids[@]}"; do
    if pid_alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
  done
  end=$(( $(now_ns) + 5000000000 ))
  for p in "${pids[@]}"; do
    while pid_alive "$p"; do
      (( $(now_ns) < end )) || die "pid $p still running 5s after SIGKILL"
      sleep 0.05
    done
  done
}

# ------------------------------------------------------------------ down

do_down() {
  local pids=() f pid n d
  # 1. wire processes recorded in the state dir
  for f in "$STATE"/wire-*.pid; do
    [[ -e $f ]] || continue
    pid=$(<"$f")
    if [[ $pid =~ ^[0-9]+$ ]] && is_our_wire "$pid"; then pids+=("$pid"); fi
  done
  # 2. backstop: a wire of this state dir whose pidfile was lost (it would also
  #    exit by itself within 0.5 s of its namespaces disappearing)
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    if is_our_wire "$pid" && [[ " ${pids[*]} " != *" $pid "* ]]; then pids+=("$pid"); fi
  done
  kill_pids "${pids[@]}"
  # 3. processes still running inside our namespaces (servers, tests)
  pids=()
  for n in $(our_ns); do
    for pid in $(ip netns pids "$n" 2>/dev/null); do pids+=("$pid"); done
  done
  kill_pids "${pids[@]}"
  # 4. the namespaces (veth/bridge/tap devices inside go with them)
  for n in $(our_ns); do ip netns del "$n" 2>/dev/null || true; done
  wait_until 10 "namespaces ${P}* to disappear" bash -c "! ip netns list | grep -qE '^${P}[a-z0-9]+( |\$)'"
  rm -rf "$STATE"
}

# ------------------------------------------------------------------ up

valid_num() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }

# public_link NODE IFNAME PORTNAME DELAY : connect NODE to the internet bridge
public_link() {
  local node=$1 ifn=$2 port=$3 delay=$4 pidf
  if [[ $delay == 0 ]]; then
    ip -n "${P}inet" link add "$port" type veth peer name "$ifn" netns "${P}$node"
  else
    pidf="$STATE/wire-$node.pid"
    setsid "$PY" "$HERE/wire.py" --a "${P}$node:$ifn" --b "${P}inet:$port" \
      --delay-ms "$delay" --pidfile "$pidf" </dev/null >>"$STATE/wire-$node.log" 2>&1 9<&- &
    wait_until 10 "wire for $node (see $STATE/wire-$node.log)" test -s "$pidf"
    pid_alive "$(<"$pidf")" || die "wire for $node died: $(cat "$STATE/wire-$node.log")"
    nsip "$node" link show dev "$ifn" >/dev/null || die "wire for $node: no $ifn in ${P}$node"
  fi
  ip -n "${P}inet" link set "$port" master br0 up
  nsip "$node" link set "$ifn" up
}

# private_link ROUTER HOST : veth from the router's lan0 bridge to HOST's eth0
private_link() {
  local r=$1 h=$2
  ip -n "${P}$r" link add "v-$h" type veth peer name eth0 netns "${P}$h"
  ip -n "${P}$r" link set "v-$h" master lan0 up
  nsip "$h" link set eth0 up
}

# sequential_map: the numgen map of --natN sequential, "0 : LO, 1 : LO+STEP, ...". A map, not
# `numgen inc ... offset LO`: nft hands the counter to snat in host byte order as the port's
# network-order bytes (numgen 20000 came out as port 8270 here, the next as 8526), while a map's
# values are typed inet_service and stored in network order.
sequential_map() {
  local lo=${OFFSET_RANGE%-*} hi=${OFFSET_RANGE#*-}
  awk -v lo="$lo" -v hi="$hi" -v step="$SEQ_STEP" 'BEGIN {
    n = int((hi - lo) / step) + 1
    printf "numgen inc mod %d map { ", n
    for (i = 0; i < n; i++) printf "%s%d : %d", (i ? ", " : ""), i, lo + i * step
    printf " }"
  }'
}

router_ruleset() { # N MODE INBOUND PUBIP LANNET
  local mode=$2 inb=$3 pub=$4 lan=$5 nat tcp_pol other_pol
  case $mode in
    preserve) nat="oifname \"wan0\" ip saddr $lan masquerade" ;;
    random)   nat="oifname \"wan0\" ip saddr $lan masquerade fully-random" ;;
    offset)   nat="oifname \"wan0\" ip saddr $lan meta l4proto { tcp, udp } snat ip to $pub:$OFFSET_RANGE
    oifname \"wan0\" ip saddr $lan snat ip to $pub" ;;
    sequential) nat="oifname \"wan0\" ip saddr $lan meta l4proto { tcp, udp } snat ip to $pub : $(sequential_map)
    oifname \"wan0\" ip saddr $lan snat ip to $pub" ;;
  esac
  case $inb in
    drop)       tcp_pol="drop"; other_pol="drop" ;;
    rst)        tcp_pol="reject with tcp reset"; other_pol="reject with icmpx type port-unreachable" ;;
    icmp)       tcp_pol="reject with icmpx type port-unreachable"; other_pol=$tcp_pol ;;
    icmp-admin) tcp_pol="reject with icmpx type admin-prohibited"; other_pol=$tcp_pol ;;
  esac
  cat <<EOF
table inet xlnat {
  counter inbound_tcp { }
  counter inbound_other { }
  counter fwd_invalid { }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    $nat
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname != "wan0" accept
    ct state established,related accept
    icmp type echo-request accept
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, echo-request } accept
    meta l4proto tcp counter name "inbound_tcp" $tcp_pol
    counter name "inbound_other" $other_pol
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state invalid counter name "fwd_invalid" drop
    ct state established,related accept
    iifname "lan0" oifname "wan0" accept
    iifname "wan0" meta l4proto tcp counter name "inbound_tcp" $tcp_pol
    iifname "wan0" counter name "inbound_other" $other_pol
  }
}
EOF
}

loss_ruleset() { # DEVICE BASISPOINTS
  cat <<EOF
table netdev xlloss {
  counter seen { }
  counter dropped { }
  chain ingress {
    type filter hook ingress device "$1" priority -500; policy accept;
    meta protocol ip counter name "seen" numgen random mod 10000 < $2 counter name "dropped" drop
  }
}
EOF
}

do_up() {
  NAT1=preserve NAT2=preserve IN1=drop IN2=drop
  D1=0 D2=0 DSRV=0 DPUB=0 L1=0 L2=0 LIBERAL=0 IPV6=0 V6DROP=0 OFFSET_RANGE=20000-29999 SEQ_STEP=2
  while (($#)); do
    local opt=$1
    case $opt in
      --liberal) LIBERAL=1; shift; continue ;;
      --ipv6) IPV6=1; shift; continue ;;
    esac
    (($# >= 2)) || die "$opt needs a value (see lab.sh help)"
    local v=$2; shift 2
    case $opt in
      --nat)        NAT1=$v; NAT2=$v ;;
      --nat1)       NAT1=$v ;;
      --nat2)       NAT2=$v ;;
      --inbound)    IN1=$v; IN2=$v ;;
      --inbound1)   IN1=$v ;;
      --inbound2)   IN2=$v ;;
      --delay)      D1=$v; D2=$v ;;
      --delay1)     D1=$v ;;
      --delay2)     D2=$v ;;
      --delay-srv)  DSRV=$v ;;
      --delay-pub)  DPUB=$v ;;
      --loss)       L1=$v; L2=$v ;;
      --loss1)      L1=$v ;;
      --loss2)      L2=$v ;;
      --offset-range) OFFSET_RANGE=$v ;;
      --seq-step)   SEQ_STEP=$v ;;
      --ipv6-drop)  V6DROP=$v ;;
      *) die "unknown option $opt (see lab.sh help)" ;;
    esac
  done
  local x
  for x in "$NAT1" "$NAT2"; do
    [[ $x =~ ^(preserve|random|offset|sequential)$ ]] || die "bad NAT mode '$x' (preserve|random|offset|sequential)"
  done
  for x in "$IN1" "$IN2"; do
    [[ $x =~ ^(drop|rst|icmp|icmp-admin)$ ]] || die "bad inbound policy '$x' (drop|rst|icmp|icmp-admin)"
  done
  [[ $V6DROP =~ ^[012]$ ]] || die "bad --ipv6-drop '$V6DROP' (1, 2 or 0)"
  ((V6DROP == 0 || IPV6)) || die "--ipv6-drop needs --ipv6"
  for x in "$D1" "$D2" "$DSRV" "$DPUB"; do valid_num "$x" || die "bad delay '$x' (ms)"; done
  for x in "$L1" "$L2"; do
    valid_num "$x" && awk -v p="$x" 'BEGIN{exit !(p <= 100)}' || die "bad loss '$x' (0..100 %)"
  done
  [[ $OFFSET_RANGE =~ ^([0-9]+)-([0-9]+)$ ]] && ((BASH_REMATCH[1] >= 1024 && BASH_REMATCH[1] <= BASH_REMATCH[2] \
     && BASH_REMATCH[2] < 32768)) || die "bad --offset-range '$OFFSET_RANGE' (LO-HI within 1024-32767)"
  [[ $SEQ_STEP =~ ^[0-9]+$ ]] && ((SEQ_STEP >= 1 && SEQ_STEP <= 1000)) || die "bad --seq-step '$SEQ_STEP' (1-1000)"
  # "0.0" -> 0 so that public_link picks a veth
  D1=$(awk -v d="$D1" 'BEGIN{print d+0}'); D2=$(awk -v d="$D2" 'BEGIN{print d+0}')
  DSRV=$(awk -v d="$DSRV" 'BEGIN{print d+0}'); DPUB=$(awk -v d="$DPUB" 'BEGIN{print d+0}')

  say "cleaning up leftovers"
  do_down
  # a failed up removes its partial lab (NATLAB_KEEP_ON_FAIL=1 keeps it for debugging)
  trap 'rc=$?; if ((rc)) && [[ ${NATLAB_KEEP_ON_FAIL:-0} != 1 ]]; then
          echo "lab.sh: up failed (rc $rc): removing the partial lab" >&2; do_down; fi' EXIT
  mkdir -p "$STATE"
  cat >"$STATE/config.env" <<EOF
# written by lab.sh up $(date -Is)
PREFIX=$P
NAT1=$NAT1
NAT2=$NAT2
IN1=$IN1
IN2=$IN2
D1=$D1
D2=$D2
DSRV=$DSRV
DPUB=$DPUB
L1=$L1
L2=$L2
LIBERAL=$LIBERAL
IPV6=$IPV6
V6DROP=$V6DROP
OFFSET_RANGE=$OFFSET_RANGE
SEQ_STEP=$SEQ_STEP
SRV_IP1=$SRV_IP1
SRV_IP2=$SRV_IP2
PUB_IP=$PUB_IP
NAT1_PUB=$NAT1_PUB
NAT2_PUB=$NAT2_PUB
H1_IP=$H1_IP
H2_IP=$H2_IP
H3_IP=$H3_IP
EOF

  say "creating namespaces ${SHORT_NAMES[*]/#/$P}"
  local n
  for n in "${SHORT_NAMES[@]}"; do
    ip netns add "${P}$n"
    nsip "$n" link set lo up
    sysctl_ns "$n" net.ipv6.conf.all.disable_ipv6 $((1 - IPV6))
    sysctl_ns "$n" net.ipv6.conf.default.disable_ipv6 $((1 - IPV6))
    if ((IPV6)); then # no duplicate address detection, no autoconfiguration: fixed addresses at once
      sysctl_ns "$n" net.ipv6.conf.all.accept_dad 0
      sysctl_ns "$n" net.ipv6.conf.default.accept_dad 0
      sysctl_ns "$n" net.ipv6.conf.default.accept_ra 0
    fi
  done

  # bridged frames must not go through the IP hooks (br_netfilter is built in
  # here and bridge-nf-call-iptables is per netns, default 1): otherwise
  # LAN-to-LAN frames hit the routers' forward chain and the internet bridge
  # would run conntrack
  for n in inet nat1 nat2; do
    if nsx "$n" test -e /proc/sys/net/bridge/bridge-nf-call-iptables; then
      for x in iptables ip6tables arptables; do sysctl_ns "$n" "net.bridge.bridge-nf-call-$x" 0; done
    fi
  done
  # the internet: one bridge, no addresses
  ip -n "${P}inet" link add br0 type bridge stp_state 0
  ip -n "${P}inet" link set br0 up

  say "public links (delay nat1=${D1} nat2=${D2} srv=${DSRV} pub=${DPUB} ms)"
  public_link srv eth0 p-srv "$DSRV"
  public_link pub eth0 p-pub "$DPUB"
  public_link nat1 wan0 p-nat1 "$D1"
  public_link nat2 wan0 p-nat2 "$D2"

  # public addresses; public nodes route both documentation /24s on-link and
  # nothing else (private ranges are unreachable from the public side)
  nsip srv addr add "$SRV_IP1/24" dev eth0
  nsip srv addr add "$SRV_IP2/24" dev eth0
  nsip srv route add 203.0.113.0/24 dev eth0
  nsip pub addr add "$PUB_IP/24" dev eth0
  nsip pub route add 203.0.113.0/24 dev eth0
  local i gw pub lan host
  for i in 1 2; do
    pub=$([[ $i == 1 ]] && echo "$NAT1_PUB" || echo "$NAT2_PUB")
    gw=$([[ $i == 1 ]] && echo "$NAT1_GW" || echo "$NAT2_GW")
    nsip "nat$i" addr add "$pub/24" dev wan0
    nsip "nat$i" route add 198.51.100.0/24 dev wan0
    sysctl_ns "nat$i" net.ipv4.conf.all.arp_ignore 1
    nsip "nat$i" link add lan0 type bridge stp_state 0
    nsip "nat$i" addr add "$gw/24" dev lan0
    nsip "nat$i" link set lan0 up
    sysctl_ns "nat$i" net.ipv4.ip_forward 1
  done

  say "private links"
  private_link nat1 h1; private_link nat1 h3; private_link nat2 h2
  for host in h1:$H1_IP:$NAT1_GW h3:$H3_IP:$NAT1_GW h2:$H2_IP:$NAT2_GW; do
    IFS=: read -r n x gw <<<"$host"
    nsip "$n" addr add "$x/24" dev eth0
    nsip "$n" route add default via "$gw"
    sysctl_ns "$n" net.ipv4.ip_local_port_range "32768 60999"
  done

  say "NAT rules: nat1=$NAT1/$IN1 nat2=$NAT2/$IN2 offset-range=$OFFSET_RANGE seq-step=$SEQ_STEP"
  router_ruleset 1 "$NAT1" "$IN1" "$NAT1_PUB" 10.0.1.0/24 | nsx nat1 nft -f -
  router_ruleset 2 "$NAT2" "$IN2" "$NAT2_PUB" 10.0.2.0/24 | nsx nat2 nft -f -
  for i in 1 2; do
    local lp bp
    lp=$([[ $i == 1 ]] && echo "$L1" || echo "$L2")
    bp=$(awk -v p="$lp" 'BEGIN{printf "%d", p * 100 + 0.5}')
    if ((bp > 0)); then
      say "loss nat$i: $lp% each direction (wan0 ingress in ${P}nat$i, p-nat$i ingress in ${P}inet)"
      loss_ruleset wan0 "$bp" | nsx "nat$i" nft -f -
      loss_ruleset "p-nat$i" "$bp" | sed "s/table netdev xlloss/table netdev xlloss_nat$i/" | nsx inet nft -f -
    fi
    sysctl_ns "nat$i" net.netfilter.nf_conntrack_tcp_be_liberal "$LIBERAL"
  done

  if ((IPV6)); then
    say "IPv6: 2001:db8:ffff::/64 on the bridge, 2001:db8:1::/64 behind nat1, 2001:db8:2::/64 behind nat2"
    nsip srv addr add "$V6_INET::10/64" dev eth0 nodad
    for i in 1 2; do
      local other=$((3 - i)) lan6
      lan6=$([[ $i == 1 ]] && echo "$V6_LAN1" || echo "$V6_LAN2")
      nsip "nat$i" addr add "$V6_INET::$i/64" dev wan0 nodad
      nsip "nat$i" addr add "$lan6::1/64" dev lan0 nodad
      nsip "nat$i" -6 route add "$([[ $other == 1 ]] && echo "$V6_LAN1" || echo "$V6_LAN2")::/64" via "$V6_INET::$other"
      sysctl_ns "nat$i" net.ipv6.conf.all.forwarding 1
      nsip srv -6 route add "$lan6::/64" via "$V6_INET::$i"
    done
    if ((V6DROP)); then # a table of its own, before xlnat's forward chain: nothing of IPv6 TCP passes
      say "IPv6: nat$V6DROP drops every IPv6 TCP packet it would forward (--ipv6-drop)"
      printf '%s\n' "table inet xlv6drop {" "  counter dropped { }" "  chain forward {" \
        "    type filter hook forward priority filter - 10; policy accept;" \
        "    meta nfproto ipv6 meta l4proto tcp counter name \"dropped\" drop" "  }" "}" | nsx "nat$V6DROP" nft -f -
    fi
    for host in h1:$V6_LAN1::10 h3:$V6_LAN1::11 h2:$V6_LAN2::10; do
      n=${host%%:*}; x=${host#*:}
      nsip "$n" addr add "$x/64" dev eth0 nodad
      nsip "$n" -6 route add default via "${x%::*}::1"
    done
  fi

  # readiness: every host reaches the server (bounded; retries cover --loss)
  for n in srv pub nat1 nat2 h1 h2 h3; do
    [[ $n == srv ]] && continue
    wait_until 20 "${P}$n to reach $SRV_IP1 (ping)" nsx "$n" ping -n -c 1 -W 1 "$SRV_IP1"
  done
  wait_until 20 "${P}h1 to reach ${P}h3 (ping)" nsx h1 ping -n -c 1 -W 1 "$H3_IP"
  if ((IPV6)); then # echo requests pass the firewalls (as ICMPv6 must); SYNs are what they filter
    wait_until 20 "${P}h1 to reach the server over IPv6 (ping)" nsx h1 ping -6 -n -c 1 -W 1 "$V6_INET::10"
    wait_until 20 "${P}h2 to reach the server over IPv6 (ping)" nsx h2 ping -6 -n -c 1 -W 1 "$V6_INET::10"
  fi
  trap - EXIT
  say "up: nat1=$NAT1/$IN1 nat2=$NAT2/$IN2 delay(nat1,nat2,srv,pub)=$D1,$D2,$DSRV,$DPUB ms" \
      "loss(nat1,nat2)=$L1,$L2 % liberal=$LIBERAL ipv6=$IPV6 ipv6-drop=$V6DROP"
}

# ------------------------------------------------------------------ status

do_status() {
  local nss n f pid
  nss=$(our_ns)
  if [[ -z $nss ]]; then echo "no ${P}* namespaces"; else
    echo "namespaces:"
    for n in "${SHORT_NAMES[@]/#/$P}"; do
      [[ $'\n'$nss$'\n' == *$'\n'$n$'\n'* ]] || continue
      printf '  %-10s %s\n' "$n" "$(ip -n "$n" -br addr 2>/dev/null | awk '$1!="lo"{printf "%s %s %s  ", $1, $3, $4}')"
    done
  fi
  if [[ -f $STATE/config.env ]]; then
    echo "config ($STATE/config.env):"
    grep -E '^(NAT[12]|IN[12]|D[12]|DSRV|DPUB|L[12]|LIBERAL|IPV6|V6DROP|OFFSET_RANGE|SEQ_STEP)=' "$STATE/config.env" | paste -sd' ' | sed 's/^/  /'
  else
    echo "no state dir $STATE"
  fi
  for f in "$STATE"/wire-*.pid; do
    [[ -e $f ]] || continue
    pid=$(<"$f")
    if is_our_wire "$pid"; then echo "  wire $(basename "$f" .pid): pid $pid running"
    else echo "  wire $(basename "$f" .pid): pid $pid NOT running"; fi
  done
  for n in nat1 nat2; do
    ip netns list | grep -q "^${P}$n " || ip netns list | grep -q "^${P}$n\$" || continue
    printf '  %s: be_liberal=%s conntrack entries=%s counters: %s' "${P}$n" \
      "$(nsx "$n" cat /proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal)" \
      "$(nsx "$n" cat /proc/sys/net/netfilter/nf_conntrack_count)" \
      "$(nsx "$n" nft list counters 2>/dev/null | awk '/counter/{c=$2} /packets/{printf "%s=%s ", c, $2}')"
    echo
  done
}

# lab.sh nat N MODE: router N maps ports by MODE from now on (its inbound policy kept); the
# conntrack entries that exist keep their mapping, as a router whose firmware changed its NAT
# would keep its open connections (issue 12: a pair relayed because nat2 is random, nat2 then
# port-preserving while relayed, the way back to direct timed).
do_nat() {
  (($# == 2)) || die "usage: lab.sh nat 1|2 preserve|random|offset|sequential"
  local n=$1 mode=$2
  [[ $n =~ ^[12]$ ]] || die "router must be 1 or 2, got '$n'"
  [[ $mode =~ ^(preserve|random|offset|sequential)$ ]] || die "bad NAT mode '$mode' (preserve|random|offset|sequential)"
  [[ -f $STATE/config.env ]] || die "lab is not up ($STATE/config.env missing)"
  # shellcheck disable=SC1091
  source "$STATE/config.env"
  local inb pub lan
  if [[ $n == 1 ]]; then inb=$IN1 pub=$NAT1_PUB lan=10.0.1.0/24; else inb=$IN2 pub=$NAT2_PUB lan=10.0.2.0/24; fi
  # one nft transaction: the table is never missing in between
  { echo "delete table inet xlnat"; router_ruleset "$n" "$mode" "$inb" "$pub" "$lan"; } | nsx "nat$n" nft -f -
  sed -i "s/^NAT$n=.*/NAT$n=$mode/" "$STATE/config.env"
  say "nat$n: $mode"
}

# ------------------------------------------------------------------ main

cmd=${1:-help}
(($#)) && shift
case $cmd in
  up)       need_root; need_tools; lock; do_up "$@" ;;
  down)     need_root; lock; do_down; say "down: no ${P}* namespaces, no wires, $STATE removed" ;;
  status)   do_status ;;
  nat)      need_root; need_tools; lock; do_nat "$@" ;;
  selftest)
    need_root; need_tools; lock
    [[ -f $STATE/config.env ]] || die "lab is not up ($STATE/config.env missing)"
    exec "$PY" "$HERE/labtool.py" selftest --state "$STATE" --prefix "$P" ;;
  exec)
    (($# >= 2)) || die "usage: lab.sh exec NS CMD..."
    n=$(full "$1"); shift
    exec ip netns exec "$n" "$@" ;;
  shell)
    (($# == 1)) || die "usage: lab.sh shell NS"
    n=$(full "$1")
    exec ip netns exec "$n" env PS1="[$n] \\w# " bash --norc -i ;;
  help|-h|--help) usage ;;
  *) usage >&2; exit 2 ;;
esac
