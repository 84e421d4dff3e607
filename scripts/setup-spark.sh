#!/usr/bin/env bash
# Creates .venv/ with a pinned pyspark + delta-spark pair and pre-fetches Delta's jars into .venv/jars so the
# local Spark engine (engine/spark/) starts offline. Idempotent: a quick no-op when the stamp matches.
set -euo pipefail

PYSPARK_VERSION=4.0.1
DELTA_VERSION=4.0.1 # delta-spark 4.0.x is built against Spark 4.0.x (Scala 2.13)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.spark-engine-$PYSPARK_VERSION-$DELTA_VERSION"

if [[ -f "$STAMP" ]]; then
  echo "setup-spark: .venv ready (pyspark $PYSPARK_VERSION, delta-spark $DELTA_VERSION)"
  exit 0
fi

PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1 || ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)'; then
  echo "setup-spark: Python >= 3.9 with venv is required (Debian/Ubuntu: apt-get install python3 python3-venv; macOS: brew install python)" >&2
  exit 1
fi
if ! command -v java >/dev/null 2>&1; then
  echo "setup-spark: Java 17 is required by Spark 4 (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17)" >&2
  exit 1
fi
JAVA_MAJOR="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
if [[ -z "$JAVA_MAJOR" || "$JAVA_MAJOR" -lt 17 ]]; then
  echo "setup-spark: Java >= 17 is required by Spark 4, found '${JAVA_MAJOR:-unknown}' (apt-get install openjdk-17-jre-headless)" >&2
  exit 1
fi

echo "setup-spark: creating $VENV"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
echo "setup-spark: pip install pyspark==$PYSPARK_VERSION delta-spark==$DELTA_VERSION (about 450 MB)"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "pyspark==$PYSPARK_VERSION" "delta-spark==$DELTA_VERSION"

echo "setup-spark: fetching io.delta:delta-spark_2.13:$DELTA_VERSION jars from Maven Central into .venv/jars"
"$VENV/bin/python" - "$VENV" "$DELTA_VERSION" <<'PY'
import glob, os, shutil, sys
from pyspark.sql import SparkSession
venv, delta = sys.argv[1], sys.argv[2]
ivy = os.path.join(venv, "ivy")
spark = (SparkSession.builder.master("local[1]")
         .config("spark.jars.packages", f"io.delta:delta-spark_2.13:{delta}")
         .config("spark.jars.ivy", ivy)
         .config("spark.ui.enabled", "false")
         .getOrCreate())
spark.stop()
jars = os.path.join(venv, "jars")
os.makedirs(jars, exist_ok=True)
for jar in glob.glob(os.path.join(ivy, "jars", "*.jar")):
    shutil.copy(jar, jars)
print("setup-spark: jars:", ", ".join(sorted(os.listdir(jars))))
PY
touch "$STAMP"
echo "setup-spark: done"
