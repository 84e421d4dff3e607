#!/usr/bin/env bash
# Runs the local Spark + Delta Lake engine (a stand-in for a Databricks SQL warehouse, engine/spark/README.md) in
# the foreground, so `telemetry run --sink databricks` can load into real Delta tables without a workspace.
# Stop it with Ctrl-C (or by closing its standard input). Installs the engine first if .venv/ lacks it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-spark.sh >&2
export SPARK_ENGINE_PORT="${SPARK_ENGINE_PORT:-8766}"
export SPARK_ENGINE_TOKEN="${SPARK_ENGINE_TOKEN:-dapi-local-engine}"
export SPARK_ENGINE_WAREHOUSE_ID="${SPARK_ENGINE_WAREHOUSE_ID:-local-spark}"
SPARK_ENGINE_JARS="$(ls -d "$PWD"/.venv/jars/*.jar | paste -sd, -)"
export SPARK_ENGINE_JARS SPARK_LOCAL_IP=127.0.0.1 PYTHONUNBUFFERED=1
cat >&2 <<MSG
Starting Spark + Delta on http://127.0.0.1:${SPARK_ENGINE_PORT} (about 15 s). In another shell:
  export DATABRICKS_HOST=http://127.0.0.1:${SPARK_ENGINE_PORT} DATABRICKS_TOKEN=${SPARK_ENGINE_TOKEN} DATABRICKS_WAREHOUSE_ID=${SPARK_ENGINE_WAREHOUSE_ID}
  npx telemetry run --sink databricks --data-dir data-dbx
Its tables live in a temporary folder removed when it stops.
MSG
cd engine/spark
exec ../../.venv/bin/python server.py
