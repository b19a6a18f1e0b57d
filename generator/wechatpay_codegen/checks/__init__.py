"""The rules of ``wechatpay-codegen validate``, one module per concern.

:mod:`..validate` is the entry: it loads the specs and runs these in order (shape, references,
operations, spelling, schemas, examples), every rule on every document, in one run.
"""
