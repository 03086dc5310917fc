#!/usr/bin/env bash
# Data-parallel runs on Open MPI, two ranks oversubscribed on any machine:
#  1. examples/data_parallel.ritz (training with tracked sharpness and trace, minibatches, eigs of
#     the Hessian and the Gauss-Newton matrix, an SLQ density, Hutchinson, a Jacobian product, Fisher spectra, a
#     Laplacian PE) prints the same numbers under `mpirun -n 2` as in one process, within 1e-12
#     relative (compare.py; only the order of additions differs);
#  2. an error on rank 1 alone ends both ranks within 10 s, nonzero, the diagnostic printed once;
#  3. `ritz --version` names the MPI library and the world size under mpirun, and a plain ritz
#     does not link libmpi.
# Usage: tests/mpi/run.sh [RITZ_BINARY]   (default .build/release/ritz)
set -euo pipefail
cd "$(dirname "$0")/../.."
ritz=${1:-.build/release/ritz}
# CI runs as root; Open MPI refuses that without both of these.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --oversubscribe -n 2)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== data_parallel.ritz: one process against mpirun -n 2"
"$ritz" run examples/data_parallel.ritz --no-plots >"$work/single.txt"
"${mpirun[@]}" "$ritz" run examples/data_parallel.ritz --no-plots >"$work/parallel.txt"
python3 tests/mpi/compare.py "$work/single.txt" "$work/parallel.txt" --rtol 1e-12

echo "== an error on rank 1 ends both ranks"
start=$(date +%s)
status=0
timeout 10 "${mpirun[@]}" "$ritz" run tests/mpi/fail_on_rank1.ritz >"$work/fail.out" 2>"$work/fail.err" || status=$?
elapsed=$(( $(date +%s) - start ))
cat "$work/fail.err"
if [ "$status" -eq 0 ] || [ "$status" -eq 124 ]; then
  echo "FAIL: exit status $status (0: the error was lost; 124: a rank hung)"; exit 1
fi
count=$(grep -c "^rank 1: error: .*ritz-mpi-injected-error" "$work/fail.err" || true)
if [ "$count" -ne 1 ]; then echo "FAIL: the diagnostic was printed $count times, not once"; exit 1; fi
if grep -q "^loss" "$work/fail.out"; then echo "FAIL: rank 0 went past the failed cell"; exit 1; fi
echo "ended in ${elapsed} s with status $status, one diagnostic"

echo "== ritz --version"
"${mpirun[@]}" "$ritz" --version | tee "$work/version.txt"
grep -q "MPI: Open MPI .*world size 2" "$work/version.txt"
if [ "$(grep -c '^ritz ' "$work/version.txt")" -ne 1 ]; then echo "FAIL: more than rank 0 printed"; exit 1; fi
if ldd "$ritz" | grep -q libmpi; then echo "FAIL: $ritz links libmpi (it should load it only under mpirun)"; exit 1; fi
echo "mpi tests passed"
