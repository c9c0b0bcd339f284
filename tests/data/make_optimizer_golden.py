"""Make tests/data/optimizer_golden.json: torch.optim trajectories, the oracle for deeplib.

Run with a Python that has PyTorch (not needed by the course or its tests), e.g.

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchvenv/bin/python tests/data/make_optimizer_golden.py

Every case starts from the same parameter vector THETA0 and feeds torch.optim (float64)
the same fixed sequence of gradients GRADS (sign changes, zeros, one large value), so the
trajectory does not depend on any random draw. The JSON stores, per case, the optimizer
name, its keyword arguments (an empty dict = PyTorch's defaults, which checks deeplib's
defaults too), an optional learning rate per step (set before each step, as a schedule
would) and the parameters after every step.
"""

import json
import pathlib
import re
import sys

import numpy as np
import torch

OUT = pathlib.Path(__file__).with_name("optimizer_golden.json")

THETA0 = [0.8, -1.5, 0.0, 2.0, -0.3]
GRADS = [
    [0.3, -1.2, 0.0, 2.5, -0.05],
    [-0.4, -0.8, 0.0, -3.0, 0.1],
    [0.5, 0.2, 0.0, 10.0, -0.02],
    [0.0, 1.5, 0.7, -0.5, 0.0],
    [-0.1, -0.3, -0.7, 0.25, 0.3],
    [0.2, 0.0, 0.0, -8.0, -0.4],
    [1.0, -0.6, 0.35, 0.0, 0.05],
    [-0.9, 0.4, -0.2, 1.5, 0.0],
]
SCHEDULE = [0.1, 0.1, 0.05, 0.05, 0.2, 0.2, 0.01, 0.01]

# (optimizer, case name, kwargs, lr schedule or None)
CASES = [
    ("SGD", "defaults", {}, None),
    ("SGD", "plain", {"lr": 0.1}, None),
    ("SGD", "momentum", {"lr": 0.1, "momentum": 0.9}, None),
    ("SGD", "dampening", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}, None),
    ("SGD", "nesterov", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, None),
    ("SGD", "weight_decay", {"lr": 0.1, "weight_decay": 0.1}, None),
    ("SGD", "nesterov_weight_decay",
     {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.2}, None),
    ("SGD", "momentum_lr_schedule", {"lr": 0.1, "momentum": 0.9}, SCHEDULE),
    ("Adagrad", "defaults", {}, None),
    ("Adagrad", "plain", {"lr": 0.1}, None),
    ("Adagrad", "lr_decay", {"lr": 0.1, "lr_decay": 0.1}, None),
    ("Adagrad", "initial_accumulator_value", {"lr": 0.1, "initial_accumulator_value": 0.5},
     None),
    ("Adagrad", "weight_decay", {"lr": 0.1, "weight_decay": 0.1}, None),
    ("Adagrad", "all_options",
     {"lr": 0.2, "lr_decay": 0.05, "weight_decay": 0.05, "initial_accumulator_value": 0.1,
      "eps": 1e-6}, None),
    ("RMSprop", "defaults", {}, None),
    ("RMSprop", "alpha", {"lr": 0.01, "alpha": 0.9}, None),
    ("RMSprop", "momentum", {"lr": 0.01, "momentum": 0.9}, None),
    ("RMSprop", "centered", {"lr": 0.01, "centered": True}, None),
    ("RMSprop", "centered_momentum", {"lr": 0.01, "centered": True, "momentum": 0.5}, None),
    ("RMSprop", "weight_decay", {"lr": 0.01, "weight_decay": 0.1}, None),
    ("Adam", "defaults", {}, None),
    ("Adam", "plain", {"lr": 0.1}, None),
    ("Adam", "betas", {"lr": 0.1, "betas": [0.8, 0.99], "eps": 1e-6}, None),
    ("Adam", "weight_decay", {"lr": 0.1, "weight_decay": 0.1}, None),
    ("Adam", "amsgrad", {"lr": 0.1, "amsgrad": True}, None),
    ("Adam", "amsgrad_weight_decay", {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1},
     None),
    ("Adam", "lr_schedule", {"lr": 0.1}, SCHEDULE),
    ("NAdam", "defaults", {}, None),
    ("NAdam", "plain", {"lr": 0.1}, None),
    ("NAdam", "momentum_decay", {"lr": 0.1, "momentum_decay": 0.05}, None),
    ("NAdam", "weight_decay", {"lr": 0.1, "weight_decay": 0.1, "betas": [0.85, 0.995]},
     None),
    ("Adamax", "defaults", {}, None),
    ("Adamax", "plain", {"lr": 0.1}, None),
    ("Adamax", "betas", {"lr": 0.1, "betas": [0.8, 0.9]}, None),
    ("Adamax", "weight_decay", {"lr": 0.1, "weight_decay": 0.1}, None),
    ("AdamW", "defaults", {}, None),
    ("AdamW", "weight_decay", {"lr": 0.1, "weight_decay": 0.1}, None),
    ("AdamW", "amsgrad", {"lr": 0.1, "weight_decay": 0.05, "amsgrad": True}, None),
]


def trajectory(name, kwargs, schedule):
    """Parameters after each of len(GRADS) torch.optim steps, as lists of floats."""
    param = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    torch_kwargs = {k: tuple(v) if k == "betas" else v for k, v in kwargs.items()}
    opt = getattr(torch.optim, name)([param], **torch_kwargs)
    out = []
    for t, g in enumerate(GRADS):
        if schedule is not None:
            for group in opt.param_groups:
                group["lr"] = schedule[t]
        opt.zero_grad()
        param.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(param.detach().numpy().tolist())
    return out


def main():
    torch.set_default_dtype(torch.float64)
    cases = []
    for name, case, kwargs, schedule in CASES:
        cases.append({"optimizer": name, "case": case, "kwargs": kwargs,
                      "lr_schedule": schedule,
                      "trajectory": trajectory(name, kwargs, schedule)})
    data = {
        "about": "torch.optim trajectories (float64) made by make_optimizer_golden.py; "
                 "trajectory[t] = parameters after step t + 1 with gradient grads[t]",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "python_version": sys.version.split()[0],
        "theta0": THETA0,
        "grads": GRADS,
        "cases": cases,
    }
    text = json.dumps(data, indent=1)
    # one line per list of numbers, so that a diff shows which step changed
    text = re.sub(r"\[[-+0-9.eE,\s]*\]", lambda m: re.sub(r"\s+", " ", m.group()), text)
    OUT.write_text(text + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
