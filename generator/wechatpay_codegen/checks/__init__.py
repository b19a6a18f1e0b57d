"""The rules of ``wechatpay-codegen validate``, one module per concern.

:mod:`..validate` is the entry: it loads the specs and runs these in order (shape, references,
operations, spelling, schemas, examples), every rule on every document, in one run, and adds the
generator's own refusals (:mod:`.generator`).

What each reads:

- the spec model (:mod:`..spec_model`): :mod:`.operations` (operationIds, security, request
  bodies, path parameters) and the duplicate-route rule of :mod:`.strictness`;
- the raw documents, on purpose: :mod:`.shape` runs before a model can be trusted, on files of
  any shape (it is what says a file is not OpenAPI 3.1); :mod:`.refs` reads the loader's list of
  every ``$ref`` in a file; the spelling rules of :mod:`.strictness` read every key in keyword
  position, because an extension may be written on any object, also those the model does not
  read (``info``, ``servers``, ``tags``);
- the raw documents, still: :mod:`.schemas` and :mod:`.examples` find the places that hold a
  schema (parameters, headers, media types, also under ``components`` and webhooks) by walking
  the documents; the model reads only what operations use.
"""
