from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'package/_method_arguments.j2'

def root(context, missing=missing, environment=environment):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_op = resolve('op')
    try:
        t_1 = environment.filters['argument_annotation']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'argument_annotation' found.")
    pass
    yield '        self,\n        *,\n'
    for l_1_p in environment.getattr((undefined(name='op') if l_0_op is missing else l_0_op), 'parameters'):
        _loop_vars = {}
        pass
        if environment.getattr(l_1_p, 'required'):
            pass
            yield '        '
            yield str(environment.finalize(environment.getattr(l_1_p, 'name')))
            yield ': '
            yield str(environment.finalize(t_1(environment.getattr(l_1_p, 'type'))))
            yield ',\n'
        else:
            pass
            yield '        '
            yield str(environment.finalize(environment.getattr(l_1_p, 'name')))
            yield ': '
            yield str(environment.finalize(t_1(environment.getattr(l_1_p, 'type'))))
            yield ' | None = None,\n'
    l_1_p = missing
    yield '        extra_headers: Mapping[str, str] | None = None,\n        max_retries: int | None = None,\n        timeout: float | None = None,\n'
    if environment.getattr((undefined(name='op') if l_0_op is missing else l_0_op), 'response_bytes'):
        pass
        yield '        max_response_bytes: int | None = None,\n'

blocks = {}
debug_info = '4=19&5=22&6=25&8=32&14=38'
