from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'package/_version.py.j2'

def root(context, missing=missing, environment=environment):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_info = resolve('info')
    try:
        t_1 = environment.filters['py']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'py' found.")
    pass
    yield '"""The version of this generated package."""\n\n__version__ = '
    yield str(environment.finalize(t_1(environment.getattr((undefined(name='info') if l_0_info is missing else l_0_info), 'version'))))
    yield '\n'

blocks = {}
debug_info = '3=19'
