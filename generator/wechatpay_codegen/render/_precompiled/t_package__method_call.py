from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'package/_method_call.j2'

def root(context, missing=missing, environment=environment):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_op = resolve('op')
    l_0_keep = resolve('keep')
    l_0_client = resolve('client')
    l_0_raw = resolve('raw')
    pass
    yield '        path_params, body'
    if environment.getattr((undefined(name='op') if l_0_op is missing else l_0_op), 'query_params'):
        pass
        yield ', query'
    yield ' = _operations.'
    yield str(environment.finalize(environment.getattr((undefined(name='op') if l_0_op is missing else l_0_op), 'prepare')))
    yield '(\n'
    for l_1_p in environment.getattr((undefined(name='op') if l_0_op is missing else l_0_op), 'parameters'):
        _loop_vars = {}
        pass
        yield '            '
        yield str(environment.finalize(environment.getattr(l_1_p, 'name')))
        yield '='
        yield str(environment.finalize(environment.getattr(l_1_p, 'name')))
        yield ',\n'
    l_1_p = missing
    yield '        )\n        '
    if (undefined(name='keep') if l_0_keep is missing else l_0_keep):
        pass
        yield 'response = '
    yield str(environment.finalize(environment.getattr((undefined(name='client') if l_0_client is missing else l_0_client), 'await_')))
    yield 'self.'
    if (undefined(name='raw') if l_0_raw is missing else l_0_raw):
        pass
        yield '_client.'
    yield '_request(\n            _operations.'
    yield str(environment.finalize(environment.getattr((undefined(name='op') if l_0_op is missing else l_0_op), 'constant')))
    yield ',\n            path_params=path_params,\n'
    if environment.getattr((undefined(name='op') if l_0_op is missing else l_0_op), 'upload'):
        pass
        yield '            body=None,\n            upload=body,\n'
    else:
        pass
        yield '            body=body,\n'
    if environment.getattr((undefined(name='op') if l_0_op is missing else l_0_op), 'query_params'):
        pass
        yield '            query=query,\n'
    yield '            extra_headers=extra_headers,\n            max_retries=max_retries,\n            timeout=timeout,\n'
    if environment.getattr((undefined(name='op') if l_0_op is missing else l_0_op), 'response_bytes'):
        pass
        yield '            max_response_bytes=max_response_bytes,\n'
    yield '        )\n'

blocks = {}
debug_info = '2=16&3=22&4=26&7=32&8=41&10=43&16=49&22=53'
