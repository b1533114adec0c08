"""Tests of model training, the MLflow pyfunc and the registry."""
