"""The instructor's Jupyter config dir (``JUPYTER_CONFIG_DIR`` of `make instructor`).

nbgrader and its Formgrader read ``nbgrader_config.py`` from the Jupyter config dir; this
one loads the course's own configuration, ``autograder/nbgrader_config.py`` (course root,
``solutions/`` and ``course/``, the gradebook, the exchange: see autograder/instructor.py).
"""
import os

load_subconfig(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,  # noqa: F821
                            "nbgrader_config.py"))
