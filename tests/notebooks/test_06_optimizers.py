"""The graded exercises of notebook 06 (optimizers) against known-wrong implementations.

Each wrong version is a plausible learner mistake; the hidden tests must reject it, and the most
common mistake of each rule must already be rejected by the visible test.
"""

import pytest

from tests.nbharness import Notebook

NB = Notebook("solutions/06_optimizers/06_optimizers.ipynb")

TESTS = ["test_Momentum", "test_Nesterov", "test_AdaGrad", "test_RMSProp", "test_Adam", "test_Nadam"]


@pytest.mark.parametrize("test_id", TESTS)
def test_reference_passes(test_id):
    NB.assert_passes(test_id)


# ------------------------------------------------------------------ correct alternatives must pass
MOMENTUM_ZERO_INIT = '''
class Momentum(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.9):
        super().__init__(params, lr=lr, momentum=momentum)

    def update(self, param, state):
        if "b" not in state:
            state["b"] = np.zeros_like(param.data)        # b_0 = 0 gives b_1 = g_1 as well
        state["b"] = self.momentum * state["b"] + param.grad
        param.data -= self.lr * state["b"]
'''

ADAM_OTHER_STYLE = '''
class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr=lr, betas=betas, eps=eps)

    def update(self, param, state):
        b1, b2 = self.betas
        t = state["step"]
        g = param.grad
        m = state.get("m", np.zeros_like(g))
        v = state.get("v", np.zeros_like(g))
        m = m + (1 - b1) * (g - m)
        v = v + (1 - b2) * (g * g - v)
        state["m"], state["v"] = m, v
        denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + self.eps
        param.data[...] = param.data - (self.lr / (1 - b1 ** t)) * m / denom
'''


def test_other_correct_implementations_pass():
    NB.assert_passes("test_Momentum", Momentum=MOMENTUM_ZERO_INIT)
    NB.assert_passes("test_Adam", Adam=ADAM_OTHER_STYLE)


# ------------------------------------------------------------------ helpers to write wrong versions
def optimizer(name, init_args, super_args, body):
    return (f"class {name}(Optimizer):\n"
            f"    def __init__(self, params, {init_args}):\n"
            f"        super().__init__(params, {super_args})\n\n"
            f"    def update(self, param, state):\n" + body)


def momentum(body):
    return optimizer("Momentum", "lr=1e-3, momentum=0.9", "lr=lr, momentum=momentum", body)


def nesterov(body):
    return optimizer("Nesterov", "lr=1e-3, momentum=0.9", "lr=lr, momentum=momentum", body)


def adagrad(body):
    return optimizer("AdaGrad", "lr=1e-2, eps=1e-10, initial_accumulator_value=0.0",
                     "lr=lr, eps=eps, initial_accumulator_value=initial_accumulator_value", body)


def rmsprop(body):
    return optimizer("RMSProp", "lr=1e-2, alpha=0.99, eps=1e-8", "lr=lr, alpha=alpha, eps=eps", body)


def adam(body):
    return optimizer("Adam", "lr=1e-3, betas=(0.9, 0.999), eps=1e-8", "lr=lr, betas=betas, eps=eps",
                     body)


def nadam(body):
    return optimizer("Nadam", "lr=2e-3, betas=(0.9, 0.999), eps=1e-8, momentum_decay=4e-3",
                     "lr=lr, betas=betas, eps=eps, momentum_decay=momentum_decay", body)


MOMENTUM_WRONG = {
    # most common: an exponential average (dampening = μ)
    "ema": (True, momentum('''
        if state["step"] == 1:
            state["b"] = np.zeros_like(param.data)
        state["b"] = self.momentum * state["b"] + (1 - self.momentum) * param.grad
        param.data -= self.lr * state["b"]
''')),
    # the buffer IS param.grad: zero_grad wipes it
    "aliased_grad": (True, momentum('''
        if state["step"] == 1:
            state["b"] = param.grad
        else:
            state["b"] *= self.momentum
            state["b"] += param.grad
        param.data -= self.lr * state["b"]
''')),
    # the textbook velocity form: right at constant lr, wrong under a schedule
    "velocity": (True, momentum('''
        if state["step"] == 1:
            state["v"] = np.zeros_like(param.data)
        state["v"] = self.momentum * state["v"] - self.lr * param.grad
        param.data += state["v"]
''')),
    # one buffer on self, shared by all parameters
    "shared_buffer": (True, momentum('''
        if not hasattr(self, "b"):
            self.b = np.zeros_like(param.data)
        self.b = self.momentum * self.b + param.grad
        param.data -= self.lr * self.b
''')),
    # float32 parameters become float64
    "upcast": (True, momentum('''
        if state["step"] == 1:
            state["b"] = np.array(param.grad, dtype=np.float64)
        else:
            state["b"] = self.momentum * state["b"] + param.grad
        param.data = param.data - self.lr * state["b"]
''')),
    # lr hard-coded at construction time (ignores the schedule)
    "lr_frozen": (True, momentum('''
        if state["step"] == 1:
            state["lr"] = self.lr
            state["b"] = np.array(param.grad)
        else:
            state["b"] = self.momentum * state["b"] + param.grad
        param.data -= state["lr"] * state["b"]
''')),
}

NESTEROV_WRONG = {
    # one buffer on self, shared by all parameters
    "shared_buffer": (True, nesterov('''
        if not hasattr(self, "b"):
            self.b = np.zeros_like(param.data)
        self.b = self.momentum * self.b + param.grad
        param.data -= self.lr * (param.grad + self.momentum * self.b)
''')),
    "plain_momentum": (True, nesterov('''
        if state["step"] == 1:
            state["b"] = np.array(param.grad)
        else:
            state["b"] = self.momentum * state["b"] + param.grad
        param.data -= self.lr * state["b"]
''')),
    "old_buffer": (True, nesterov('''
        old = state.get("b", np.zeros_like(param.data))
        state["b"] = self.momentum * old + param.grad
        param.data -= self.lr * (param.grad + self.momentum * old)
''')),
    "velocity": (True, nesterov('''
        if state["step"] == 1:
            state["v"] = np.zeros_like(param.data)
        state["v"] = self.momentum * state["v"] - self.lr * param.grad
        param.data += self.momentum * state["v"] - self.lr * param.grad
''')),
}

ADAGRAD_WRONG = {
    "eps_inside": (True, adagrad('''
        if state["step"] == 1:
            state["G"] = np.full_like(param.data, self.initial_accumulator_value)
        state["G"] += param.grad ** 2
        param.data -= self.lr * param.grad / np.sqrt(state["G"] + self.eps)
''')),
    "keras_initial_accumulator": (True, adagrad('''
        if state["step"] == 1:
            state["G"] = np.full_like(param.data, 0.1)
        state["G"] += param.grad ** 2
        param.data -= self.lr * param.grad / (np.sqrt(state["G"]) + self.eps)
''')),
    "ignores_initial_accumulator_value": (True, adagrad('''
        if state["step"] == 1:
            state["G"] = np.zeros_like(param.data)
        state["G"] += param.grad ** 2
        param.data -= self.lr * param.grad / (np.sqrt(state["G"]) + self.eps)
''')),
    "hard_coded_eps": (True, adagrad('''
        if state["step"] == 1:
            state["G"] = np.full_like(param.data, self.initial_accumulator_value)
        state["G"] += param.grad ** 2
        param.data -= self.lr * param.grad / (np.sqrt(state["G"]) + 1e-10)
''')),
    "upcast": (True, adagrad('''
        if state["step"] == 1:
            state["G"] = np.full(param.data.shape, float(self.initial_accumulator_value))
        state["G"] = state["G"] + param.grad.astype(np.float64) ** 2
        param.data = param.data - self.lr * param.grad / (np.sqrt(state["G"]) + self.eps)
''')),
}

RMSPROP_WRONG = {
    # param.grad changed in place (the trajectory alone would not show it)
    "grad_modified_in_place": (True, rmsprop('''
        if state["step"] == 1:
            state["v"] = np.zeros_like(param.data)
        g = param.grad
        state["v"] = self.alpha * state["v"] + (1 - self.alpha) * g ** 2
        g /= np.sqrt(state["v"]) + self.eps
        param.data -= self.lr * g
''')),
    "eps_inside": (True, rmsprop('''
        if state["step"] == 1:
            state["v"] = np.zeros_like(param.data)
        state["v"] = self.alpha * state["v"] + (1 - self.alpha) * param.grad ** 2
        param.data -= self.lr * param.grad / np.sqrt(state["v"] + self.eps)
''')),
    "bias_corrected": (True, rmsprop('''
        if state["step"] == 1:
            state["v"] = np.zeros_like(param.data)
        state["v"] = self.alpha * state["v"] + (1 - self.alpha) * param.grad ** 2
        v_hat = state["v"] / (1 - self.alpha ** state["step"])
        param.data -= self.lr * param.grad / (np.sqrt(v_hat) + self.eps)
''')),
    "alpha_swapped": (True, rmsprop('''
        if state["step"] == 1:
            state["v"] = np.zeros_like(param.data)
        state["v"] = (1 - self.alpha) * state["v"] + self.alpha * param.grad ** 2
        param.data -= self.lr * param.grad / (np.sqrt(state["v"]) + self.eps)
''')),
    "shared_average": (True, rmsprop('''
        if not hasattr(self, "v"):
            self.v = 0.0
        self.v = self.alpha * self.v + (1 - self.alpha) * param.grad ** 2
        param.data -= self.lr * param.grad / (np.sqrt(self.v) + self.eps)
''')),
}

ADAM_BODY = '''
        b1, b2 = self.betas
        if state["step"] == 1:
            state["m"] = np.zeros_like(param.data)
            state["v"] = np.zeros_like(param.data)
        state["m"] = b1 * state["m"] + (1 - b1) * param.grad
        state["v"] = b2 * state["v"] + (1 - b2) * param.grad ** 2
'''
ADAM_WRONG = {
    # the learning rate read once, at the first step (ignores a schedule)
    "lr_frozen": (True, adam(ADAM_BODY + '''
        state.setdefault("lr", self.lr)
        t = state["step"]
        m_hat = state["m"] / (1 - b1 ** t)
        v_hat = state["v"] / (1 - b2 ** t)
        param.data -= state["lr"] * m_hat / (np.sqrt(v_hat) + self.eps)
''')),
    # float64 state: a float32 parameter becomes float64
    "upcast": (True, adam('''
        b1, b2 = self.betas
        t = state["step"]
        if t == 1:
            state["m"] = np.zeros(param.data.shape)
            state["v"] = np.zeros(param.data.shape)
        state["m"] = b1 * state["m"] + (1 - b1) * param.grad
        state["v"] = b2 * state["v"] + (1 - b2) * param.grad ** 2
        m_hat = state["m"] / (1 - b1 ** t)
        v_hat = state["v"] / (1 - b2 ** t)
        param.data = param.data - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
''')),
    # betas hard-coded: right with the defaults only
    "hard_coded_betas": (True, adam('''
        b1, b2 = 0.9, 0.999
        t = state["step"]
        if t == 1:
            state["m"] = np.zeros_like(param.data)
            state["v"] = np.zeros_like(param.data)
        state["m"] = b1 * state["m"] + (1 - b1) * param.grad
        state["v"] = b2 * state["v"] + (1 - b2) * param.grad ** 2
        param.data -= self.lr * (state["m"] / (1 - b1 ** t)) / (np.sqrt(state["v"] / (1 - b2 ** t)) + self.eps)
''')),
    "no_bias_correction": (True, adam(ADAM_BODY + '''
        param.data -= self.lr * state["m"] / (np.sqrt(state["v"]) + self.eps)
''')),
    "t_from_zero": (True, adam(ADAM_BODY + '''
        t = state["step"] - 1
        m_hat = state["m"] / (1 - b1 ** t)
        v_hat = state["v"] / (1 - b2 ** t)
        param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
''')),
    "step_incremented_again": (True, adam(ADAM_BODY + '''
        state["step"] += 1
        t = state["step"]
        m_hat = state["m"] / (1 - b1 ** t)
        v_hat = state["v"] / (1 - b2 ** t)
        param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
''')),
    "own_global_counter": (True, adam(ADAM_BODY + '''
        self.t = getattr(self, "t", 0) + 1
        m_hat = state["m"] / (1 - b1 ** self.t)
        v_hat = state["v"] / (1 - b2 ** self.t)
        param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
''')),
    "eps_inside": (True, adam(ADAM_BODY + '''
        t = state["step"]
        m_hat = state["m"] / (1 - b1 ** t)
        v_hat = state["v"] / (1 - b2 ** t)
        param.data -= self.lr * m_hat / np.sqrt(v_hat + self.eps)
''')),
    "keras_epsilon_hat": (True, adam(ADAM_BODY + '''
        t = state["step"]
        lr_t = self.lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        param.data -= lr_t * state["m"] / (np.sqrt(state["v"]) + self.eps)
''')),
    "only_m_corrected": (True, adam(ADAM_BODY + '''
        t = state["step"]
        param.data -= self.lr * state["m"] / (1 - b1 ** t) / (np.sqrt(state["v"]) + self.eps)
''')),
}

NADAM_BODY = '''
        b1, b2 = self.betas
        t = state["step"]
        if t == 1:
            state["m"] = np.zeros_like(param.data)
            state["v"] = np.zeros_like(param.data)
            state["P"] = 1.0
        state["m"] = b1 * state["m"] + (1 - b1) * param.grad
        state["v"] = b2 * state["v"] + (1 - b2) * param.grad ** 2
        v_hat = state["v"] / (1 - b2 ** t)
'''
NADAM_STEP = '''
        mu = b1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * self.momentum_decay))
        state["P"] *= mu
        m_hat = mu_next * state["m"] / (1 - state["P"] * mu_next) + (1 - mu) * param.grad / (1 - state["P"])
'''
NADAM_WRONG = {
    # float64 state and an out-of-place update: a float32 parameter becomes float64
    "upcast": (True, nadam(NADAM_BODY.replace("np.zeros_like(param.data)", "np.zeros(param.data.shape)")
                           + NADAM_STEP + '''
        param.data = param.data - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
''')),
    # betas hard-coded: right with the defaults only
    "hard_coded_betas": (True, nadam(NADAM_BODY.replace("b1, b2 = self.betas", "b1, b2 = 0.9, 0.999")
                                     + NADAM_STEP + '''
        param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
''')),
    "keras_schedule": (True, nadam(NADAM_BODY + '''
        mu = b1 * (1 - 0.5 * 0.96 ** t)
        mu_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        state["P"] *= mu
        m_hat = mu_next * state["m"] / (1 - state["P"] * mu_next) + (1 - mu) * param.grad / (1 - state["P"])
        param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
''')),
    "mu_t_instead_of_next": (True, nadam(NADAM_BODY + '''
        mu = b1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))
        state["P"] *= mu
        m_hat = mu * state["m"] / (1 - state["P"] * mu) + (1 - mu) * param.grad / (1 - state["P"])
        param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
''')),
    "shared_product": (True, nadam(NADAM_BODY + '''
        mu = b1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * self.momentum_decay))
        self.P = getattr(self, "P", 1.0) * mu
        m_hat = mu_next * state["m"] / (1 - self.P * mu_next) + (1 - mu) * param.grad / (1 - self.P)
        param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
''')),
    "hard_coded_psi": (True, nadam(NADAM_BODY + '''
        mu = b1 * (1 - 0.5 * 0.96 ** (t * 0.004))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * 0.004))
        state["P"] *= mu
        m_hat = mu_next * state["m"] / (1 - state["P"] * mu_next) + (1 - mu) * param.grad / (1 - state["P"])
        param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
''')),
    "no_v_correction": (True, nadam(NADAM_BODY + NADAM_STEP + '''
        param.data -= self.lr * m_hat / (np.sqrt(state["v"]) + self.eps)
''')),
}

NADAM_RIGHT = nadam(NADAM_BODY + NADAM_STEP + '''
        param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
''')


def test_nadam_wrong_answers_differ_from_a_passing_one_by_their_mistake_only():
    """The Nadam mistakes above are this passing answer with one change each."""
    NB.assert_passes("test_Nadam", Nadam=NADAM_RIGHT)


CASES = [("test_Momentum", "Momentum", MOMENTUM_WRONG), ("test_Nesterov", "Nesterov", NESTEROV_WRONG),
         ("test_AdaGrad", "AdaGrad", ADAGRAD_WRONG), ("test_RMSProp", "RMSProp", RMSPROP_WRONG),
         ("test_Adam", "Adam", ADAM_WRONG), ("test_Nadam", "Nadam", NADAM_WRONG)]
PARAMS = [pytest.param(test_id, cell, source, visible, id=f"{cell}-{name}")
          for test_id, cell, wrong in CASES for name, (visible, source) in wrong.items()]


@pytest.mark.parametrize("test_id, cell, source, visible", PARAMS)
def test_wrong_implementation_is_rejected(test_id, cell, source, visible):
    NB.assert_fails(test_id, **{cell: source})
    if visible:  # every mistake against a stated requirement is caught by the visible part too
        NB.assert_fails(test_id, visible_only=True, **{cell: source})


def test_failure_messages_name_the_mistake():
    """A failure names the step and the usual cause; the hidden tests recognise known mistakes."""
    cases = [
        ("test_Adam", "Adam", ADAM_WRONG["step_incremented_again"][1], "state['step']"),
        ("test_Adam", "Adam", ADAM_WRONG["own_global_counter"][1], "your own counter"),
        ("test_Adam", "Adam", ADAM_WRONG["t_from_zero"][1], "division by zero"),
        ("test_Nadam", "Nadam", NADAM_WRONG["keras_schedule"][1], "Keras"),
        ("test_Momentum", "Momentum", MOMENTUM_WRONG["velocity"][1], "velocity form"),
        ("test_AdaGrad", "AdaGrad", ADAGRAD_WRONG["ignores_initial_accumulator_value"][1],
         "self.initial_accumulator_value"),
    ]
    for test_id, cell, source, phrase in cases:
        result = NB.run(test_id, **{cell: source})
        assert not result.passed and phrase in result.message, result.message


def test_visible_messages_name_the_mistake():
    """The visible part alone names the step counter on self and a missing initial accumulator."""
    cases = [
        ("test_Adam", "Adam", ADAM_WRONG["own_global_counter"][1], "your own counter"),
        ("test_AdaGrad", "AdaGrad", ADAGRAD_WRONG["ignores_initial_accumulator_value"][1],
         "self.initial_accumulator_value"),
        ("test_Momentum", "Momentum", MOMENTUM_WRONG["velocity"][1], "velocity form"),
        ("test_Adam", "Adam", ADAM_WRONG["upcast"][1], "float32"),
    ]
    for test_id, cell, source, phrase in cases:
        result = NB.run(test_id, visible_only=True, **{cell: source})
        assert not result.passed and phrase in result.message, result.message


def test_unfinished_answer_says_so():
    result = NB.run("test_Adam", Adam=adam("        raise NotImplementedError()\n"))
    assert not result.passed and "not written" in result.message, result.message
