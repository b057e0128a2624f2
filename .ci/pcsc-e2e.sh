#!/usr/bin/env bash
# PC/SC end-to-end: start a real pcscd with vsmartcard's virtual reader and run
# the end-to-end tests (named E2E) against it; the tests play the card.
#
#   bash .ci/pcsc-e2e.sh [more packages...]
#
# Runs `EMVKIT_PCSC_E2E=1 go test -p 1 -count=1 -v -run E2E ./apdu/pcsc/ [more packages...]`:
# -p 1 because every package's E2E tests share the one virtual reader.
# Expects pcscd and vsmartcard-vpcd installed (.ci/run installs them) and
# fails, never skips, when they are not. Stops the pcscd it started, always.
# A pcscd already running (started by someone else) is used and left running.
# Environment: EMVKIT_VPCD_PORT (default 35963, "Virtual PCD 00 00"),
# PCSC_E2E_TIMEOUT (go test -timeout, default 10m).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf 'pcsc-e2e: FAIL: %s\n' "$*" >&2; exit 1; }
say() { printf 'pcsc-e2e: %s\n' "$*"; }

PATH="$PATH:/usr/sbin:/sbin"
PCSCD=$(command -v pcscd || true)
[ -n "$PCSCD" ] || die "pcscd is not installed (apt-get install pcscd)"
VPCD_CONF=/etc/reader.conf.d/vpcd
[ -f "$VPCD_CONF" ] || die "the vpcd reader is not configured: $VPCD_CONF is missing (apt-get install vsmartcard-vpcd)"
VPCD_LIB=$(sed -n 's/^[[:space:]]*LIBPATH[[:space:]]*//p' "$VPCD_CONF" | head -n1)
[ -n "$VPCD_LIB" ] && [ -f "$VPCD_LIB" ] || die "the vpcd driver library '${VPCD_LIB:-?}' named in $VPCD_CONF is missing (apt-get install vsmartcard-vpcd)"
command -v go >/dev/null || die "go is not installed"
say "$("$PCSCD" --version 2>&1 | head -n1); vpcd driver $VPCD_LIB"

SOCK=${PCSCLITE_CSOCK_NAME:-/run/pcscd/pcscd.comm}
RUNDIR=$(dirname "$SOCK")
PIDFILE=$RUNDIR/pcscd.pid
WORK=$(mktemp -d)
LOG=$WORK/pcscd.log
: >"$LOG"
PCSCD_PID=""
status=1

stop_pcscd() {
	[ -n "$PCSCD_PID" ] || return 0
	if kill -0 "$PCSCD_PID" 2>/dev/null; then
		kill -TERM "$PCSCD_PID" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$PCSCD_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$PCSCD_PID" 2>/dev/null; then
			say "pcscd ($PCSCD_PID) did not stop on SIGTERM; killing it"
			kill -KILL "$PCSCD_PID" 2>/dev/null || true
		fi
	fi
	wait "$PCSCD_PID" 2>/dev/null || true
	say "stopped pcscd ($PCSCD_PID)"
	PCSCD_PID=""
}

finish() {
	if [ "$status" -ne 0 ] && [ -s "$LOG" ]; then
		printf '\n--- last 80 lines of the pcscd log (%s)\n' "$LOG" >&2
		tail -n 80 "$LOG" >&2 || true
		printf -- '--- end of pcscd log\n' >&2
	fi
	stop_pcscd
	rm -rf "$WORK"
}
trap finish EXIT
trap 'exit 130' INT TERM

running_pid=""
if [ -f "$PIDFILE" ]; then
	p=$(tr -dc '0-9' <"$PIDFILE" || true)
	if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
		running_pid=$p
	fi
fi

if [ -n "$running_pid" ]; then
	say "pcscd is already running (pid $running_pid): using it and leaving it running"
	LOG=/dev/null
else
	if [ -e "$SOCK" ]; then
		say "removing the stale socket $SOCK left by a pcscd that is gone"
		rm -f "$SOCK" "$PIDFILE"
	fi
	mkdir -p "$RUNDIR"
	# -f: foreground, logging to stdout; -a: log APDUs; -d: debug level.
	"$PCSCD" -f -a -d </dev/null >"$LOG" 2>&1 &
	PCSCD_PID=$!
	say "started pcscd (pid $PCSCD_PID), log in $LOG"
fi

# Bounded wait for the socket.
for _ in $(seq 100); do
	[ -S "$SOCK" ] && break
	if [ -n "$PCSCD_PID" ] && ! kill -0 "$PCSCD_PID" 2>/dev/null; then
		die "pcscd exited at start"
	fi
	sleep 0.1
done
[ -S "$SOCK" ] || die "pcscd's socket $SOCK did not appear within 10 s"

# Bounded wait for the vpcd reader, asked through our own client.
go test -c -o "$WORK/pcsc.test" ./apdu/pcsc/ || die "cannot build the apdu/pcsc tests"
listed=""
for _ in $(seq 30); do
	if EMVKIT_PCSC_E2E=1 "$WORK/pcsc.test" -test.run '^TestE2EListReaders$' -test.count=1 >"$WORK/probe.out" 2>&1; then
		listed=yes
		break
	fi
	sleep 0.5
done
if [ -z "$listed" ]; then
	cat "$WORK/probe.out" >&2 || true
	if [ -n "$running_pid" ]; then
		die "the running pcscd (pid $running_pid, not started here) does not list the vpcd reader: started before vsmartcard-vpcd was installed? restart it"
	fi
	die "pcscd does not list the vpcd reader within 15 s"
fi
say "pcscd is up and lists the vpcd reader"

set +e
EMVKIT_PCSC_E2E=1 go test -p 1 -count=1 -v -timeout "${PCSC_E2E_TIMEOUT:-10m}" -run E2E ./apdu/pcsc/ "$@"
status=$?
set -e
if [ "$status" -ne 0 ]; then
	die "end-to-end tests failed (go test exit $status)"
fi
say "end-to-end tests passed"
