"""References: every ``$ref`` resolves, and no chain of them loops (recursive schemas included)."""

from __future__ import annotations

from ..loader import Pointer, Problem, SpecDocument, SpecLoadError, SpecSet, pointer_text


def check_refs(specs: SpecSet, docs: list[SpecDocument]) -> list[Problem]:
    problems: list[Problem] = []
    for doc in docs:
        for pointer, ref in doc.refs:
            try:
                specs.resolve(doc, ref, at=pointer)
            except SpecLoadError as exc:
                problems.extend(exc.problems)
    return problems


_Node = tuple[str, Pointer]  # (document display, pointer of a $ref target)


def check_cycles(specs: SpecSet, docs: list[SpecDocument]) -> list[Problem]:
    """Reference cycles: expanding a target whose subtree leads back to it never ends."""
    # every resolvable $ref: (its document, its pointer, target node)
    edges_from: dict[str, list[tuple[Pointer, _Node]]] = {}
    targets: set[_Node] = set()
    for doc in docs:
        for pointer, ref in doc.refs:
            try:
                target_doc, target_pointer, _ = specs.resolve(doc, ref, at=pointer)
            except SpecLoadError:
                continue
            node = (target_doc.display, target_pointer)
            targets.add(node)
            edges_from.setdefault(doc.display, []).append((pointer, node))
    graph: dict[_Node, list[tuple[_Node, Pointer]]] = {}
    for node in sorted(targets):
        display, prefix = node
        depth = len(prefix)
        graph[node] = sorted(
            {
                (target, ref_pointer)
                for ref_pointer, target in edges_from.get(display, [])
                if ref_pointer[:depth] == prefix and target in targets
            }
        )
    problems: list[Problem] = []
    for component in _cyclic_components(graph):
        cycle = _shortest_cycle(graph, component)
        first_ref = next(ptr for target, ptr in graph[cycle[0]] if target == cycle[1])
        problems.append(specs.documents[cycle[0][0]].problem(first_ref, _cycle_message(cycle)))
    return problems


def _cycle_message(cycle: list[_Node]) -> str:
    schemas = all(len(p) == 3 and p[:2] == ("components", "schemas") for _, p in cycle)
    names = [str(p[-1]) if schemas else pointer_text(p) for _, p in cycle]
    if len(set(names[:-1])) != len(names) - 1:  # same name in several files: say which
        names = [f"{d}#{pointer_text(p)}" for d, p in cycle]
    chain = " -> ".join(names)
    if schemas:
        return (
            f"recursive schemas are not supported: {chain}; "
            "replace one reference with a non-recursive schema"
        )
    return f"$ref cycle: {chain}; break the cycle"


def _cyclic_components(graph: dict[_Node, list[tuple[_Node, Pointer]]]) -> list[set[_Node]]:
    """Strongly connected components that contain a cycle (Tarjan, iterative), in sorted order."""
    index: dict[_Node, int] = {}
    low: dict[_Node, int] = {}
    on_stack: set[_Node] = set()
    stack: list[_Node] = []
    found: list[set[_Node]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work: list[tuple[_Node, int]] = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = graph[node]
            if i < len(successors):
                work.append((node, i + 1))
                succ = successors[i][0]
                if succ not in index:
                    work.append((succ, 0))
                elif succ in on_stack:
                    low[node] = min(low[node], index[succ])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[_Node] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                self_loop = any(t == node for t, _ in successors)
                if len(component) > 1 or self_loop:
                    found.append(component)
    return sorted(found, key=min)


def _shortest_cycle(
    graph: dict[_Node, list[tuple[_Node, Pointer]]], component: set[_Node]
) -> list[_Node]:
    start = min(component)
    parents: dict[_Node, _Node] = {}
    frontier = [start]
    while frontier:
        following: list[_Node] = []
        for node in frontier:
            for succ, _ in graph[node]:
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if succ in component and succ not in parents and succ != start:
                    parents[succ] = node
                    following.append(succ)
        frontier = following
    return [start, start]  # unreachable for a cyclic component
