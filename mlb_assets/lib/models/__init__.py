"""Model training and serving: H2O AutoML and AutoGluon engines behind one MLflow pyfunc.

``h2o_engine`` and ``autogluon_engine`` train and save a self-contained model directory,
``pyfunc`` wraps either for MLflow, ``registry`` logs, registers and promotes the
``champion``, ``tracking`` points MLflow at its store and ``metrics`` scores probabilities.
The modules import their engines lazily, so importing this package starts nothing.
"""
