"""STAND-IN for the Datadog Agent binary (/opt/datadog-agent/bin/agent/agent).

Part of the offline test bed in tests/standins/apt_repo: it sends nothing anywhere. It implements the
subcommands the collection and its tests use: `run` (a long-running process that validates
datadog.yaml first, like the real Agent), `status`, `version` and `configcheck`.
"""
import argparse
import datetime
import os
import signal
import socket
import sys
import time

import yaml

VERSION = "@VERSION@"
CONFIG_DIR = "/etc/datadog-agent"
LOG_FILE = "/var/log/datadog/agent.log"


def load_config(path):
    with open(path, encoding="utf-8") as stream:
        config = yaml.safe_load(stream) or {}
    if not isinstance(config, dict):
        raise ValueError(f"{path}: top level must be a mapping, found {type(config).__name__}")
    return config


def mask_key(key):
    key = str(key or "")
    if not key:
        return "(not set)"
    return "*" * max(len(key) - 5, 0) + key[-5:]


def check_config(config, path):
    """Return the problems the real Agent also refuses to start with."""
    problems = []
    if not config.get("api_key"):
        problems.append(f"{path}: api_key is missing or empty")
    tags = config.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        problems.append(f"{path}: tags must be a list of strings, found {tags!r}")
    return problems


def log(message):
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    with open(LOG_FILE, "a", encoding="utf-8") as stream:
        stream.write(f"{stamp} | CORE | INFO | (standin) {message}\n")


def command_run(args):
    path = os.path.join(args.cfgpath, "datadog.yaml")
    try:
        config = load_config(path)
    except (OSError, ValueError, yaml.YAMLError) as error:
        print(f"Error: unable to load {path}: {error}", file=sys.stderr)
        return 1
    problems = check_config(config, path)
    if problems:
        for problem in problems:
            print(f"Error: {problem}", file=sys.stderr)
        return 1

    running = True

    def stop(signum, _frame):
        nonlocal running
        running = False
        log(f"received signal {signum}, stopping")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log(f"starting stand-in Agent {VERSION} (pid {os.getpid()})")
    while running:
        time.sleep(1)
    return 0


def command_status(args):
    path = os.path.join(args.cfgpath, "datadog.yaml")
    try:
        config = load_config(path)
    except (OSError, ValueError, yaml.YAMLError) as error:
        print(f"Error: unable to load {path}: {error}", file=sys.stderr)
        return 1
    apm = config.get("apm_config") or {}
    process = (config.get("process_config") or {}).get("process_collection") or {}
    print("=" * 60)
    print(f"Agent (v{VERSION}) STAND-IN, not the real Datadog Agent")
    print("=" * 60)
    print(f"  Config File: {path}")
    print(f"  Hostname: {config.get('hostname') or socket.gethostname()}")
    print(f"  Site: {config.get('site', 'datadoghq.com')}")
    print(f"  API Key: {mask_key(config.get('api_key'))}")
    print("  Host tags:")
    for tag in config.get("tags") or []:
        print(f"    {tag}")
    print(f"  APM: enabled={apm.get('enabled', True)} receiver_port={apm.get('receiver_port', 8126)}")
    print(f"  Logs: enabled={config.get('logs_enabled', False)}")
    print(f"  Process collection: enabled={process.get('enabled', False)}")
    problems = check_config(config, path)
    for problem in problems:
        print(f"  Error: {problem}")
    return 1 if problems else 0


def command_version(_args):
    print(f"Agent {VERSION} - Meta: standin - Commit: 0000000 - Serialization version: standin")
    return 0


def command_configcheck(args):
    config_d = os.path.join(args.cfgpath, "conf.d")
    for root, _dirs, files in sorted(os.walk(config_d)):
        for name in sorted(files):
            if name.endswith((".yaml", ".yml")):
                path = os.path.join(root, name)
                try:
                    with open(path, encoding="utf-8") as stream:
                        yaml.safe_load(stream)
                except (OSError, yaml.YAMLError) as error:
                    print(f"{path}: invalid: {error}")
                    return 1
                print(f"{path}: ok")
    return 0


def main():
    parser = argparse.ArgumentParser(prog="agent", description="STAND-IN Datadog Agent")
    parser.add_argument("-c", "--cfgpath", default=CONFIG_DIR)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run")
    run.add_argument("-p", "--pidfile")
    commands.add_parser("status")
    commands.add_parser("version")
    commands.add_parser("configcheck")
    args = parser.parse_args()
    handler = {
        "run": command_run,
        "status": command_status,
        "version": command_version,
        "configcheck": command_configcheck,
    }[args.command]
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
