"""deeplib: the small NumPy library behind the course "Training Deep Neural Networks"."""

from deeplib.parameter import Parameter

__version__ = "0.1.0"
__all__ = ["Parameter"]
