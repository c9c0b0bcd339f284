# The learner's nbgrader settings, read by the Validate button (`make lab`) and by
# `make validate NB=..`: validation runs the notebook as the grader does, with the same time
# limit per cell; nbgrader's defaults do the rest. (Without a configuration file, nbgrader
# logs "No nbgrader_config.py file found" on every Validate.)
c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)
c.Execute.timeout = 30
# CurveZMQ keys for the kernel (without them ipykernel warns on every start).
c.KernelManager.transport_encryption = "auto"
