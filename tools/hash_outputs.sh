#!/usr/bin/env bash
# Hash every output of the demo run, the ASEM runs and the self-assessment commands, so that a refactoring
# can be checked to change no byte: run it before and after and diff the two lists.
#   tools/hash_outputs.sh OUTDIR > hashes.txt
# The data paths are the same in both runs (outputs name the data file), so run it from the same clone.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: tools/hash_outputs.sh OUTDIR}
rm -rf "$out"; mkdir -p "$out"
oi=.venv/bin/openindex
# every command runs; its exit code is part of the console log that is hashed too
r() { "$@" || echo "exit $?"; }
asem=../shared/datasets/asem
{
  r $oi validate indicators/opencities.yaml --data datasets/demo_network.csv --problems "$out/problems.csv"
  r $oi run indicators/opencities.yaml datasets/demo_network.csv --out "$out/demo"
  r $oi uncertainty indicators/opencities.yaml datasets/demo_network.csv --out "$out/demo/uncertainty"
  r $oi report indicators/opencities.yaml datasets/demo_network.csv --out "$out/demo" --uncertainty "$out/demo/uncertainty"
  r $oi report indicators/opencities.yaml datasets/demo_network.csv --out "$out/demo-fr" --lang fr --no-ranks --peer-group size
  r $oi audit indicators/opencities.yaml datasets/demo_network.csv --out "$out/demo-audit"
  r $oi run indicators/icc.yaml datasets/icc_demo_answers.csv --out "$out/icc"
  r $oi run indicators/icc.yaml datasets/icc_demo_long.csv --out "$out/icc-long" --no-report
  r $oi template indicators/icc.yaml --out "$out/q-fr.xlsx" --lang fr
  r $oi template indicators/icc.yaml --out "$out/I05.xlsx" --unit I05 --network datasets/icc_demo_answers.csv
  r $oi template indicators/opencities.yaml --out "$out/oc.xlsx"
  r $oi self-assess indicators/icc.yaml "$out/I05.xlsx" --network datasets/icc_demo_answers.csv --out "$out/I05"
  r $oi whatif indicators/icc.yaml datasets/icc_demo_answers.csv --unit I05 --out "$out/I05-whatif" --target peer-mean
  r $oi whatif indicators/opencities.yaml datasets/demo_network.csv --unit "$(sed -n 2p datasets/demo_network.csv | cut -d, -f1)" --out "$out/oc-whatif"
  r $oi methods
  if [ -d "$asem" ]; then
    r $oi import-coinr "$asem/iMeta.csv" "$asem/iData.csv" --out "$out/asem"
    fw=$(ls "$out"/asem/*.yaml | head -1); data=$(ls "$out"/asem/*.csv | head -1)
    r $oi run "$fw" "$data" --out "$out/asem-run"
    r $oi run "$fw" "$data" --out "$out/asem-z" --no-report --set build.normalise.method=zscore
    r $oi audit "$fw" "$data" --out "$out/asem-audit"
    r $oi uncertainty "$fw" "$data" --out "$out/asem-unc" --runs 2000 --seed 3 --sobol 128 \
      --factors <(printf 'runs: 500\nfactors:\n  - name: weights\n    weights: {level: 1, noise: 0.25}\n  - name: normalisation\n    normalise: [{method: minmax}, {method: zscore, params: {mean: 50, sd: 15}}]\n  - name: left out\n    exclude: {level: 1, p_none: 0.5}\n')
  fi
} > "$out/console.txt" 2>&1
(cd "$out" && find . -type f ! -name console.txt -print0 | sort -z | xargs -0 sha256sum)
# the console, with elapsed times masked (the one thing that may differ between two runs)
sed -E 's/: [0-9.]+ s$/: <time> s/' "$out/console.txt" | sha256sum | sed "s#-#console.txt#"
