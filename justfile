# livedub: every command a person runs. `just --list` shows them.

set dotenv-load := true
set positional-arguments := true

venv := justfile_directory() / ".venv"
py := venv / "bin/python"

# list the recipes
default:
    @just --list

# create the virtualenv and install pinned dependencies, fetch the Kafka jars, build the extension and demo page (idempotent)
setup:
    @devstack/setup.sh
    @extension/build.sh --optional

# install the Debian packages `just up` (or `just test`) needs that are missing: apt-get, sudo when not root
system-packages purpose="up":
    @devstack/system-packages.sh {{purpose}}

# start Kafka, Redis, the ingress and the flow under supervisord (or compose where Docker runs)
up: (system-packages "up") setup
    @{{py}} -m devstack up

# stop what `just up` started (its programs and supervisord), and nothing else
down:
    @if [ -x {{py}} ]; then {{py}} -m devstack down; else echo "nothing to stop (no .venv yet)"; fi

# what runs (and how often it was restarted), where it listens, where its logs are
status: setup
    @{{py}} -m devstack status

# tail the logs of one service (kafka, redis, ingress, flow, supervisord: its restarts) or all
logs name="" lines="40": setup
    @{{py}} -m devstack logs {{name}} -n {{lines}}

# run the test suite against a real Kafka broker and a real Redis started for the run
test *args: (system-packages "test") setup
    {{py}} -m pytest {{args}}

# ruff and mypy
lint: setup
    {{venv}}/bin/ruff check .
    {{venv}}/bin/ruff format --check .
    {{venv}}/bin/mypy

# mint a development JWT: just token USER [--tier free|premium]
token user *args: setup
    @{{py}} -m ingress.dev_token "$@"

# dub a file offline: just dub INPUT --from en --to es [--mode subtitles|dubbing|both] [--out DIR] [--mix]
dub input *args: setup
    @{{py}} -m flows.dub_file "$@"

# build the Chrome extension (extension/dist/extension) and the demo page (extension/dist/demo)
ext-build:
    @extension/build.sh

# the extension's tests: Vitest units, the OpenAPI contract check (LIVEDUB_OPENAPI) and the Chromium e2e
ext-test *args: ext-build
    cd extension && npx vitest run "$@"

# load time and real-time factor of each offline speech provider on this machine (not a test)
bench-providers: setup
    {{py}} -m providers.bench

# the speaker embedder's cost per second of audio, and how well it tells six synthetic voices apart (not a test)
bench-speakers *args: setup
    {{py}} -m providers.speaker_bench "$@"

# capture live sessions' audio and result events: just record --out FILE [--seconds N]
record *args: setup
    @{{py}} -m recordings.record "$@"

# replay recordings through a fresh flow and compare the results (non-zero exit on a difference)
replay +files: setup
    @{{py}} -m recordings.replay "$@"

# benchmark the whole stack against same-run baselines; JSON and PNG into bench-results/
bench *args: setup
    {{py}} -m bench "$@"

# schemathesis over the whole OpenAPI document on a real ingress, Kafka and Redis: just fuzz [--max-examples N] [--seed S] [--url URL]
fuzz *args: setup
    {{py}} -m fuzz "$@"

# fault drills (kill the flow, restart Kafka and Redis, a 45 s Redis outage, kill an ingress): lost/duplicated/charged
drill *args: setup
    {{py}} -m drills "$@"
