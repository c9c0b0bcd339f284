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


HIDDEN_MISTAKES = {
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


@pytest.mark.parametrize("name", sorted(HIDDEN_MISTAKES))
def test_subtler_mistakes_fail_the_hidden_tests(name):
    NB.assert_fails("test_DropoutLayer", DropoutLayer=HIDDEN_MISTAKES[name])


def test_no_validation_is_caught_by_the_error_checks():
    result = NB.run("test_DropoutLayer", DropoutLayer=HIDDEN_MISTAKES["no_validation"])
    assert not result.passed and "ValueError" in result.message
