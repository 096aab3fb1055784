"""The related teacher-student systems of three other papers, as solvers (plain NumPy gradient descent).

Modules
-------
tensor_init
    Zhang, Yu, Wang, Gu, "Learning one-hidden-layer ReLU networks via gradient
    descent" (AISTATS 2019): the moment (tensor) initialization of
    Zhong et al. 2017 followed by GD on ``y = sum_j relu(<w*_j, x>) + noise``.
mild_overparam
    Zhou, Ge, Jin, "A local convergence theory for mildly over-parameterized
    two-layer neural network" (COLT 2021): a student with ``m + k`` units started in the
    local region; per-unit outcome and a bisection of the region's radius.
abs_teacher
    Li, Ma, Zhang, "Learning over-parametrized two-layer ReLU neural networks
    beyond NTK" (COLT 2020): the ``a^T |W* x|`` teacher learned by
    over-parameterized GD, against kernel ridge regression.
kernels
    Arc-cosine kernels of degree 0 and 1, the two-layer ReLU NTK and the
    random-ReLU-feature kernel; kernel ridge regression with cross-validated
    ridge (scikit-learn, the ``baselines`` extra).

Each module docstring states what was reconstructed from which paper and
which details are our choices.  Inputs are raw standard Gaussian vectors;
:mod:`blasso.studies.baselines` rescales them into the unit ball to compare
with the convex optimum.
"""
