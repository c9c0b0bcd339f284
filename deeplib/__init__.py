"""deeplib: the small NumPy library behind the course "Training Deep Neural Networks".

One concept per module::

    deeplib.activations   sigmoid, tanh, ReLU, ..., softmax, each with its derivative
    deeplib.initializers  zeros, normal, Glorot, He, LeCun (one variance-scaling rule)
    deeplib.layers        Dense, Activation, PReLU, RReLU, Dropout
    deeplib.model         Sequential, make_mlp
    deeplib.losses        softmax cross-entropy, binary cross-entropy, MSE
    deeplib.optimizers    SGD (momentum, Nesterov), Adagrad, RMSprop, Adam, NAdam, Adamax, AdamW
    deeplib.clipping      clip_grad_norm_, clip_grad_value_
    deeplib.training      minibatches, fit, evaluate, predict
    deeplib.diagnostics   per-layer activation statistics and gradient norms
    deeplib.gradcheck     finite differences and relative errors
    deeplib.datasets      the 8x8 digits (shipped), spirals, moons, circles, splits
    deeplib.plotting      the course's plots (the only module that imports matplotlib)
    deeplib.checks        assertions whose failure messages teach

The training loop is PyTorch's::

    opt.zero_grad(); loss, dlogits = loss_fn(model(X), y); model.backward(dlogits); opt.step()
"""

from deeplib import (activations, clipping, datasets, diagnostics, gradcheck, initializers,
                     layers, losses, model, optimizers, training)
from deeplib.layers import PReLU, RReLU, Activation, Dense, Dropout, Layer
from deeplib.model import Sequential, make_mlp
from deeplib.optimizers import SGD, Adagrad, Adam, Adamax, AdamW, NAdam, Optimizer, RMSprop
from deeplib.parameter import Parameter
from deeplib.training import History, evaluate, fit, minibatches, predict

__version__ = "0.1.0"
__all__ = [
    "Parameter", "Layer", "Dense", "Activation", "PReLU", "RReLU", "Dropout",
    "Sequential", "make_mlp", "Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "NAdam",
    "Adamax", "AdamW", "History", "fit", "evaluate", "predict", "minibatches",
    "activations", "initializers", "layers", "model", "losses", "optimizers", "clipping",
    "training", "diagnostics", "gradcheck", "datasets",
]
