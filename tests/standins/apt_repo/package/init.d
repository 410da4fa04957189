#!/bin/sh
### BEGIN INIT INFO
# Provides:          datadog-agent
# Required-Start:    $remote_fs $syslog $network
# Required-Stop:     $remote_fs $syslog
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: STAND-IN Datadog Agent
# Description:       Offline test bed from ddlab.observability (tests/standins/apt_repo), not the
#                    real Datadog Agent. Every start appends a line to STARTS_LOG so tests can
#                    count restarts.
### END INIT INFO

NAME=datadog-agent
AGENT=/opt/datadog-agent/bin/agent/agent
PIDFILE=/opt/datadog-agent/run/agent.pid
STARTS_LOG=/var/log/datadog/standin-starts.log
LOCKFILE=/run/datadog-agent.init.lock

is_running() {
    [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

do_start() {
    if is_running; then
        echo "$NAME is already running (pid $(cat "$PIDFILE"))"
        return 0
    fi
    # The real Agent also refuses to start without a valid datadog.yaml.
    if ! "$AGENT" status >/dev/null 2>&1; then
        echo "$NAME: not starting, /etc/datadog-agent/datadog.yaml is missing or invalid:" >&2
        "$AGENT" status >&2
        return 1
    fi
    mkdir -p "$(dirname "$PIDFILE")" /var/log/datadog
    chown dd-agent:dd-agent "$(dirname "$PIDFILE")" /var/log/datadog
    start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$PIDFILE" \
        --chuid dd-agent:dd-agent --exec "$AGENT" -- run -p "$PIDFILE" || return 1
    sleep 0.3
    if ! is_running; then
        echo "$NAME failed to start, see /var/log/datadog/agent.log" >&2
        return 1
    fi
    echo "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ) start pid=$(cat "$PIDFILE") version=$("$AGENT" version | cut -d' ' -f2)" >>"$STARTS_LOG"
    echo "Started $NAME (pid $(cat "$PIDFILE"))"
}

do_stop() {
    if ! is_running; then
        rm -f "$PIDFILE"
        echo "$NAME is not running"
        return 0
    fi
    # The pidfile lives in a dd-agent directory, so start-stop-daemon also needs the user to trust it.
    start-stop-daemon --stop --quiet --pidfile "$PIDFILE" --user dd-agent --retry TERM/10/KILL/5 || return 1
    rm -f "$PIDFILE"
    echo "Stopped $NAME"
}

# Stop Agent processes that no pidfile points to any more, so that package removal can delete dd-agent.
stop_strays() {
    start-stop-daemon --stop --quiet --oknodo --user dd-agent --name agent --retry TERM/10/KILL/5
}

case "$1" in
    start | stop | restart | force-reload)
        # Several plays may restart the Agent at the same moment: one action at a time.
        exec 9>"$LOCKFILE"
        flock 9
        ;;
esac

case "$1" in
    start) do_start ;;
    stop) do_stop && stop_strays ;;
    restart | force-reload) do_stop && stop_strays && do_start ;;
    status)
        if is_running; then
            echo "$NAME is running (pid $(cat "$PIDFILE"))"
            exit 0
        fi
        echo "$NAME is not running"
        exit 3
        ;;
    *)
        echo "Usage: /etc/init.d/$NAME {start|stop|restart|force-reload|status}" >&2
        exit 2
        ;;
esac
