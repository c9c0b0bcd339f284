"""The graded exercises of notebook 05 (mini-batch gradient descent) against known-wrong answers."""

import pytest

from tests.nbharness import Notebook

NB = Notebook("solutions/05_minibatch_gradient_descent/05_minibatch_gradient_descent.ipynb")


def test_reference_passes():
    NB.assert_passes("test_minibatches")
    NB.assert_passes("test_train_epoch")


def test_other_correct_minibatches_pass():
    # a generator, with argsort of uniform draws instead of rng.permutation
    NB.assert_passes("test_minibatches", minibatches='''
def minibatches(X, y, batch_size, rng):
    order = np.argsort(rng.random(len(X)), kind="stable")
    Xs, ys = X[order], y[order]
    for k in range(0, len(X), batch_size):
        yield Xs[k:k + batch_size], ys[k:k + batch_size]
''')


WRONG_MINIBATCHES = {
    "separate_shuffles": '''
def minibatches(X, y, batch_size, rng):
    Xs, ys = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
    return [(Xs[i:i + batch_size], ys[i:i + batch_size]) for i in range(0, len(X), batch_size)]
''',
    "drops_the_last_batch": '''
def minibatches(X, y, batch_size, rng):
    perm = rng.permutation(len(X))
    n_full = len(X) // batch_size
    return [(X[perm[k * batch_size:(k + 1) * batch_size]], y[perm[k * batch_size:(k + 1) * batch_size]])
            for k in range(n_full)]
''',
    "no_shuffle": '''
def minibatches(X, y, batch_size, rng):
    return [(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(X), batch_size)]
''',
    "with_replacement": '''
def minibatches(X, y, batch_size, rng):
    idx = rng.integers(0, len(X), size=len(X))
    return [(X[idx[i:i + batch_size]], y[idx[i:i + batch_size]]) for i in range(0, len(X), batch_size)]
''',
}


@pytest.mark.parametrize("name", sorted(WRONG_MINIBATCHES))
def test_wrong_minibatches_fail_visibly(name):
    NB.assert_fails("test_minibatches", visible_only=True, minibatches=WRONG_MINIBATCHES[name])


MORE_WRONG_MINIBATCHES = {
    "global_permutation": '''
def minibatches(X, y, batch_size, rng):
    perm = np.random.permutation(len(X))
    return [(X[perm[i:i + batch_size]], y[perm[i:i + batch_size]]) for i in range(0, len(X), batch_size)]
''',
    "shuffles_in_place": '''
def minibatches(X, y, batch_size, rng):
    state = rng.bit_generator.state
    rng.shuffle(X)
    rng.bit_generator.state = state
    rng.shuffle(y)
    return [(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(X), batch_size)]
''',
    "float64_copy": '''
def minibatches(X, y, batch_size, rng):
    perm = rng.permutation(len(X))
    Xs, ys = np.array(X, dtype=float)[perm], np.asarray(y)[perm]
    return [(Xs[i:i + batch_size], ys[i:i + batch_size]) for i in range(0, len(X), batch_size)]
''',
    "flattens_images": '''
def minibatches(X, y, batch_size, rng):
    perm = rng.permutation(len(X))
    Xs, ys = X.reshape(len(X), -1)[perm], y[perm]
    return [(Xs[i:i + batch_size], ys[i:i + batch_size]) for i in range(0, len(X), batch_size)]
''',
}


@pytest.mark.parametrize("name", sorted(MORE_WRONG_MINIBATCHES))
def test_stated_minibatches_requirements_fail_visibly(name):
    NB.assert_fails("test_minibatches", visible_only=True, minibatches=MORE_WRONG_MINIBATCHES[name])


def test_fixed_seed_inside_fails_visibly():
    NB.assert_fails("test_minibatches", visible_only=True, minibatches='''
def minibatches(X, y, batch_size, rng):
    perm = np.random.default_rng(0).permutation(len(X))
    return [(X[perm[i:i + batch_size]], y[perm[i:i + batch_size]]) for i in range(0, len(X), batch_size)]
''')


def _loop(body, ret="return total / len(X)", train="model.train()"):
    return f'''
def train_epoch(model, loss_fn, optimizer, X, y, batch_size, rng):
    {train}
    total = 0.0
    for X_batch, y_batch in minibatches(X, y, batch_size, rng):
{body}
    {ret}
'''


STEP = '''        optimizer.zero_grad()
        out = model.forward(X_batch)
        loss, grad = loss_fn(out, y_batch)
        model.backward(grad)
        optimizer.step()
        total += float(loss) * len(X_batch)'''


def test_another_correct_train_epoch_passes():
    NB.assert_passes("test_train_epoch", train_epoch='''
def train_epoch(model, loss_fn, optimizer, X, y, batch_size, rng):
    model.train()
    losses, sizes = [], []
    for Xb, yb in minibatches(X, y, batch_size, rng):
        for p in model.parameters():
            p.zero_grad()
        loss, grad = loss_fn(model(Xb), yb)
        model.backward(grad)
        optimizer.step()
        losses.append(loss)
        sizes.append(len(Xb))
    return float(np.average(losses, weights=sizes))
''')


WRONG_TRAIN_EPOCH = {
    "missing_zero_grad": _loop(STEP.replace("        optimizer.zero_grad()\n", "")),
    "missing_step": _loop(STEP.replace("        optimizer.step()\n", "")),
    "zero_grad_before_step": _loop(STEP.replace(
        "        model.backward(grad)\n", "        model.backward(grad)\n        optimizer.zero_grad()\n")),
    "no_train_mode": _loop(STEP, train="pass"),
    "unweighted_mean": _loop(STEP.replace("float(loss) * len(X_batch)", "float(loss)"),
                             ret="return total / math.ceil(len(X) / batch_size)"),
    "last_batch_loss": _loop(STEP, ret="return float(loss)"),
}


@pytest.mark.parametrize("name", sorted(WRONG_TRAIN_EPOCH))
def test_wrong_train_epoch_fails_visibly(name):
    NB.assert_fails("test_train_epoch", visible_only=True, train_epoch=WRONG_TRAIN_EPOCH[name])


def test_ignoring_the_rng_fails_visibly():
    NB.assert_fails("test_train_epoch", visible_only=True, train_epoch=_loop(STEP).replace(
        "minibatches(X, y, batch_size, rng)", "minibatches(X, y, batch_size, np.random.default_rng(0))"))


def test_hardcoded_loss_fails_visibly():
    NB.assert_fails("test_train_epoch", visible_only=True, train_epoch=_loop(STEP).replace(
        "loss_fn(out, y_batch)",
        "(mean_squared_error if y_batch.ndim == 2 else softmax_cross_entropy)(out, y_batch)"))


def test_train_epoch_with_a_wrong_minibatches_says_so():
    result = NB.run("test_train_epoch", minibatches=WRONG_MINIBATCHES["drops_the_last_batch"])
    assert not result.passed and "fix minibatches" in result.message, result.message
    result = NB.run("test_train_epoch", minibatches='''
def minibatches(X, y, batch_size, rng):
    raise NotImplementedError()
''')
    assert not result.passed and "minibatches" in result.message, result.message


def test_train_epoch_returning_an_array_fails_visibly():
    NB.assert_fails("test_train_epoch", visible_only=True,
                    train_epoch=_loop(STEP, ret="return np.array([total / len(X)])"))
