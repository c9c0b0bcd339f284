"""How fast is one deeplib training step? (a benchmark, not a test)

Model: MLP 784-256-256-10 with ReLU, batch 128, float32, fixed synthetic data.
One step = zero_grad, forward, softmax cross-entropy, backward, SGD step.

(a) deeplib's step / the bare matrix products of the same step (3 forward matmuls,
    3 weight-gradient matmuls, 2 input-gradient matmuls), timed in the same process:
    the overhead of everything that is not BLAS. Goal: <= 1.3.
(b) deeplib's step / PyTorch's CPU step for the same model with the same number of
    threads, if torch is importable. Goal: <= 1.0.

Times are medians over many repetitions after a warm-up, the variants taking turns in
blocks so that a slow moment of the machine hits them all alike.

    python benchmarks/bench_step.py [--threads 1] [--reps 300] [--breakdown]
"""

import argparse
import os
import sys
import time

# The thread count must be fixed before numpy (and its BLAS) is imported.
parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--threads", type=int, default=1,
                    help="BLAS / PyTorch threads for every variant (default 1)")
parser.add_argument("--reps", type=int, default=300, help="timed repetitions (default 300)")
parser.add_argument("--warmup", type=int, default=30, help="untimed repetitions first")
parser.add_argument("--breakdown", action="store_true",
                    help="also time each phase of deeplib's step")
args = parser.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
            "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402

from deeplib.losses import softmax_cross_entropy  # noqa: E402
from deeplib.model import make_mlp  # noqa: E402
from deeplib.optimizers import SGD  # noqa: E402

SIZES = [784, 256, 256, 10]
BATCH = 128
LR = 1e-3


def data(rng):
    X = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=BATCH)
    return X, y


def deeplib_step_fn(X, y, rng):
    model = make_mlp(SIZES, rng=rng, dtype=np.float32)
    opt = SGD(model.parameters(), lr=LR)

    def step():
        opt.zero_grad()
        out = model.forward(X)
        _, g = softmax_cross_entropy(out, y)
        model.backward(g, input_grad=False)  # the data needs no gradient, as in PyTorch
        opt.step()

    return step, model, opt


def bare_matmul_fn(X, rng):
    """The 8 matrix products of the step and nothing else."""
    Ws = [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32)
          for a, b in zip(SIZES[:-1], SIZES[1:])]
    go = rng.standard_normal((BATCH, SIZES[-1])).astype(np.float32)
    W1, W2, W3 = Ws

    def step():
        h1 = X @ W1             # forward
        h2 = h1 @ W2
        _ = h2 @ W3
        _ = h2.T @ go           # layer 3: dW3, dh2
        gh2 = go @ W3.T
        _ = h1.T @ gh2          # layer 2: dW2, dh1
        gh1 = gh2 @ W2.T
        _ = X.T @ gh1           # layer 1: dW1 only (the input needs no gradient)

    return step


def torch_step_fn(X, y, model_np, threads):
    import torch  # noqa: PLC0415
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:
        pass
    dense = [layer for layer in model_np.layers if hasattr(layer, "W")]
    mods = []
    for i, layer in enumerate(dense):
        lin = torch.nn.Linear(layer.n_in, layer.n_out)
        with torch.no_grad():  # the same initial weights as deeplib's model
            lin.weight.copy_(torch.from_numpy(layer.W.data.T.copy()))
            lin.bias.zero_()
        mods.append(lin)
        if i < len(dense) - 1:
            mods.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*mods)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        out = model(Xt)
        loss = torch.nn.functional.cross_entropy(out, yt)
        loss.backward()
        opt.step()

    return step, torch.__version__


def timed(fn):
    """(wall-clock seconds, CPU seconds of this process) of one call."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def measure(fns, reps, warmup, rounds=10):
    """Median (wall, CPU) seconds per call of each fn.

    The fns take turns in ``rounds`` blocks of reps/rounds consecutive calls (each block
    after 3 untimed calls), so that a slow moment of the machine hits them all alike,
    while one library's idle thread pool does not compete with the other's work.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    block = max(1, reps // rounds)
    for _ in range(rounds):
        for name, fn in fns.items():
            for _ in range(3):
                fn()
            times[name].extend(timed(fn) for _ in range(block))
    return {name: tuple(np.median(np.array(t), axis=0)) for name, t in times.items()}


def breakdown(model, opt, X, y, reps):
    """Median time of each phase of deeplib's step, per layer for forward/backward."""
    clock = time.process_time if args.threads == 1 else time.perf_counter
    phases = {}

    def add(name, seconds):
        phases.setdefault(name, []).append(seconds)

    for _ in range(reps):
        t0 = clock()
        opt.zero_grad()
        add("zero_grad", clock() - t0)
        x = X
        for i, layer in enumerate(model.layers):
            t0 = clock()
            x = layer.forward(x)
            add(f"forward  {i} {layer!r}", clock() - t0)
        t0 = clock()
        _, g = softmax_cross_entropy(x, y)
        add("softmax_cross_entropy", clock() - t0)
        for i in reversed(range(len(model.layers))):
            t0 = clock()
            g = (model.layers[i].backward(g, input_grad=False) if i == 0
                 else model.layers[i].backward(g))
            add(f"backward {i} {model.layers[i]!r}", clock() - t0)
        t0 = clock()
        opt.step()
        add("SGD.step", clock() - t0)
    medians = {name: float(np.median(t)) for name, t in phases.items()}
    total = sum(medians.values())
    kind = "CPU" if args.threads == 1 else "wall"
    print(f"\nbreakdown of deeplib's step ({kind} time medians, sum {total * 1e3:.3f} ms):")
    for name, m in medians.items():
        print(f"  {name:<40s} {m * 1e3:8.3f} ms  {100 * m / total:5.1f} %")


def main():
    rng = np.random.default_rng(0)
    X, y = data(rng)
    deeplib_step, model, opt = deeplib_step_fn(X, y, rng)
    fns = {"deeplib step": deeplib_step, "bare matmuls": bare_matmul_fn(X, rng)}
    try:
        torch_step, torch_version = torch_step_fn(X, y, model, args.threads)
        fns["torch step"] = torch_step
    except ImportError:
        torch_version = None

    print(f"MLP {'-'.join(map(str, SIZES))} ReLU, batch {BATCH}, float32, SGD; "
          f"{args.threads} thread(s); median of {args.reps} reps after {args.warmup} warm-up")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}"
          + (f", torch {torch_version}" if torch_version else ""))
    med = measure(fns, args.reps, args.warmup)
    print(f"  {'':<14s} {'wall':>9s} {'CPU':>9s}")
    for name, (wall, cpu) in med.items():
        print(f"  {name:<14s} {wall * 1e3:6.3f} ms {cpu * 1e3:6.3f} ms")
    # With one thread the process's CPU time is the work done, even on a machine shared
    # with other jobs (which inflate wall time); with several threads CPU time adds the
    # threads up, so wall time is the measure then.
    judged = 1 if args.threads == 1 else 0
    print(f"ratios (judged on {'CPU' if judged else 'wall'} time; wall / CPU):")

    def report(label, a, b, goal):
        wall, cpu = med[a][0] / med[b][0], med[a][1] / med[b][1]
        ratio = (wall, cpu)[judged]
        print(f"{label} = {ratio:.3f}  (goal <= {goal}: {'met' if ratio <= goal else 'MISSED'};"
              f" wall {wall:.3f}, CPU {cpu:.3f})")

    report("(a) deeplib step / bare matmuls", "deeplib step", "bare matmuls", 1.3)
    if torch_version:
        report("(b) deeplib step / torch step  ", "deeplib step", "torch step", 1.0)
    else:
        print("(b) torch is not installed: no comparison with PyTorch "
              "(pip install torch in another environment to get it)")
    if args.breakdown:
        breakdown(model, opt, X, y, args.reps)


if __name__ == "__main__":
    main()
