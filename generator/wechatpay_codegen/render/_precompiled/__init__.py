"""Index of the templates compiled ahead of time (see ``..precompiled``).

Written by ``python -m wechatpay_codegen.render.precompiled``; do not edit by hand.
"""

JINJA_VERSION = "3.1.6"

# template (relative to templates/package) -> (module here, SHA-256 of its source)
TEMPLATES: dict[str, tuple[str, str]] = {
    "README.md.j2": (
        "t_readme_md",
        "ea306c497cde609a449800cb40a7aee15ce8d565653a3223a5ff2e5131b39a66",
    ),
    "package/__init__.py.j2": (
        "t_package___init___py",
        "568d1e61316f37db3082882158f9c21b965ade369fa663f4f4d1b0e902ed93db",
    ),
    "package/_client.py.j2": (
        "t_package__client_py",
        "90e493bd81c7be8eda82ba8d32d42ae1357acceffc20775942dd03f2ae37691a",
    ),
    "package/_method_arguments.j2": (
        "t_package__method_arguments",
        "50e7e13d9260b14c8c4d9b19270a5a0086e946082de41d21e43663ba4e9b6cbb",
    ),
    "package/_method_call.j2": (
        "t_package__method_call",
        "19d0b892ef0d8e9541921c496d5549ccec397be82599e4fd2394a503b611980a",
    ),
    "package/_operations.py.j2": (
        "t_package__operations_py",
        "73400783d3160072b2a5c6c18ca9d727fde5376fe5a6df821747d1b5a58eb10d",
    ),
    "package/_validators.py.j2": (
        "t_package__validators_py",
        "08e55f9acd0f870fe2ed78151155176e9c1bcda1b89b042c02884965e0caf12c",
    ),
    "package/_version.py.j2": (
        "t_package__version_py",
        "24bbec0d16846ffe91a2e6f8e20589cad3d4949e169f255ff15beed4725e1c20",
    ),
    "package/enums.py.j2": (
        "t_package_enums_py",
        "e3c56eb26c900289d18c2bb7564becdf5ee14860982c9e23e5314644dba29e44",
    ),
    "package/models.py.j2": (
        "t_package_models_py",
        "e934947ae9274218175ae0268ca1f9d1b777d0fd57f2127feed49b13a2e06d55",
    ),
    "package/py.typed.j2": (
        "t_package_py_typed",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
    "pyproject.toml.j2": (
        "t_pyproject_toml",
        "e53c3af0e303a847326e7c9804b1a8120a95d7eb3b91fb5133efa3b3bcaf8b1d",
    ),
}
