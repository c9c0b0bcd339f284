"""The graded exercise of notebook 04 (dropout) against known-wrong implementations."""

import pytest

from tests.nbharness import Notebook

NB = Notebook("solutions/04_dropout/04_dropout.ipynb")

HEAD = '''
class DropoutLayer(Layer):
    def __init__(self, keep_prob=0.5, rng=None):
        super().__init__()
        if not 0 < keep_prob <= 1:
            raise ValueError("keep_prob must be in (0, 1]")
        self.keep_prob = keep_prob
        self.rng = rng
        self.mask = None
'''

BACKWARD = '''
    def backward(self, grad_out):
        if self.mask is None:
            return grad_out
        return grad_out * self.mask / self.keep_prob
'''

FORWARD = '''
    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        self.mask = self.rng.random(x.shape) < self.keep_prob
        return x * self.mask / self.keep_prob
'''


def layer(forward=FORWARD, backward=BACKWARD, head=HEAD):
    return head + forward + backward


def test_reference_passes():
    NB.assert_passes("test_DropoutLayer")


def test_another_correct_implementation_passes():
    # a different way of drawing the mask (binomial draws, stored as floats) must pass too
    NB.assert_passes("test_DropoutLayer", DropoutLayer=layer(forward='''
    def forward(self, x):
        if self.training:
            self.mask = self.rng.binomial(1, self.keep_prob, size=x.shape).astype(x.dtype)
            return x * self.mask / x.dtype.type(self.keep_prob)
        self.mask = None
        return x
'''))


VISIBLE_MISTAKES = {
    "no_scaling": '''
    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        self.mask = self.rng.random(x.shape) < self.keep_prob
        return x * self.mask
''',
    "scaled_by_keep_prob": '''
    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        self.mask = self.rng.random(x.shape) < self.keep_prob
        return x * self.mask * self.keep_prob
''',
    "keep_prob_as_drop_rate": '''
    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        self.mask = self.rng.random(x.shape) < 1 - self.keep_prob
        return x * self.mask / self.keep_prob
''',
    "dropout_in_eval_too": '''
    def forward(self, x):
        self.mask = self.rng.random(x.shape) < self.keep_prob
        return x * self.mask / self.keep_prob
''',
}


@pytest.mark.parametrize("name", sorted(VISIBLE_MISTAKES))
def test_common_forward_mistakes_fail_visibly(name):
    NB.assert_fails("test_DropoutLayer", visible_only=True,
                    DropoutLayer=layer(forward=VISIBLE_MISTAKES[name]))


def test_fresh_mask_in_backward_fails_visibly():
    NB.assert_fails("test_DropoutLayer", visible_only=True, DropoutLayer=layer(backward='''
    def backward(self, grad_out):
        if self.mask is None:
            return grad_out
        mask = self.rng.random(grad_out.shape) < self.keep_prob
        return grad_out * mask / self.keep_prob
'''))


def test_backward_without_scaling_fails_visibly():
    NB.assert_fails("test_DropoutLayer", visible_only=True, DropoutLayer=layer(backward='''
    def backward(self, grad_out):
        if self.mask is None:
            return grad_out
        return grad_out * self.mask
'''))


HIDDEN_MISTAKES = {  # once caught only by the hidden part; now visibly too
    "mask_shared_across_the_batch": layer(forward='''
    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        self.mask = self.rng.random(x.shape[1:]) < self.keep_prob
        return x * self.mask / self.keep_prob
'''),
    "mask_drawn_once_and_reused": layer(forward='''
    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        if self.mask is None or self.mask.shape != x.shape:
            self.mask = self.rng.random(x.shape) < self.keep_prob
        return x * self.mask / self.keep_prob
'''),
    "float32_upcast": layer(forward='''
    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        self.mask = self.rng.random(x.shape) < self.keep_prob
        return x * (self.mask / self.keep_prob)
'''),
    "stale_mask_in_eval_backward": layer(forward='''
    def forward(self, x):
        if not self.training:
            return x
        self.mask = self.rng.random(x.shape) < self.keep_prob
        return x * self.mask / self.keep_prob
''', backward='''
    def backward(self, grad_out):
        if self.mask is None:
            return grad_out
        return grad_out * self.mask / self.keep_prob
'''),
    "no_validation": layer(head='''
class DropoutLayer(Layer):
    def __init__(self, keep_prob=0.5, rng=None):
        super().__init__()
        self.keep_prob = keep_prob
        self.rng = rng
        self.mask = None
'''),
    "keep_prob_one_rejected": layer(head=HEAD.replace("0 < keep_prob <= 1", "0 < keep_prob < 1")),
}


MORE_MISTAKES = {
    "global_numpy_random": layer(forward='''
    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        self.mask = np.random.rand(*x.shape) < self.keep_prob
        return x * self.mask / self.keep_prob
'''),
    "unseeded_generator_of_its_own": layer(forward='''
    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        self.mask = np.random.default_rng().random(x.shape) < self.keep_prob
        return x * self.mask / self.keep_prob
'''),
    "x_modified_in_place": layer(forward='''
    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        self.mask = self.rng.random(x.shape) < self.keep_prob
        x *= self.mask
        x /= self.keep_prob
        return x
'''),
    "grad_out_modified_in_place": layer(backward='''
    def backward(self, grad_out):
        if self.mask is None:
            return grad_out
        grad_out *= self.mask / self.keep_prob
        return grad_out
'''),
    "float64_mask_in_backward": layer(backward='''
    def backward(self, grad_out):
        if self.mask is None:
            return grad_out
        return grad_out * (self.mask.astype(float) / self.keep_prob)
'''),
}


@pytest.mark.parametrize("name", sorted(HIDDEN_MISTAKES) + sorted(MORE_MISTAKES))
def test_every_stated_requirement_fails_visibly(name):
    """Every requirement the exercise states is checked by the visible part too."""
    source = HIDDEN_MISTAKES.get(name) or MORE_MISTAKES[name]
    NB.assert_fails("test_DropoutLayer", visible_only=True, DropoutLayer=source)
    NB.assert_fails("test_DropoutLayer", DropoutLayer=source)


def test_no_validation_is_caught_by_the_error_checks():
    result = NB.run("test_DropoutLayer", visible_only=True, DropoutLayer=HIDDEN_MISTAKES["no_validation"])
    assert not result.passed and "ValueError" in result.message


def test_unscaled_backward_names_the_scaling():
    result = NB.run("test_DropoutLayer", visible_only=True, DropoutLayer=layer(backward='''
    def backward(self, grad_out):
        if self.mask is None:
            return grad_out
        return grad_out * self.mask
'''))
    assert not result.passed and "scale by 1/keep_prob in backward too" in result.message, result.message


def test_global_random_names_the_generator():
    result = NB.run("test_DropoutLayer", visible_only=True, DropoutLayer=MORE_MISTAKES["global_numpy_random"])
    assert not result.passed and "self.rng" in result.message, result.message
