"""Every audit entry the code writes has words in the reader's language (centre/audit_text.py).

The audit log page and the records' histories show an action, a kind of record, a state or a
detail missing from the tables as stored: a machine word ("focal_point_invite") in a French or
Arabic page. This reads the source of centre/ (its `audit.record(...)` calls and the demo
volume's `_audit(...)` rows) and fails when one has no label. No database: it costs nothing.
"""
import ast
from pathlib import Path

import pytest

import centre
from centre import audit, audit_text
from centre.extensions import db
from centre.models import AuditEntry, NoticeKind
from centre.registrations.services import CORRECTABLE

ROOT = Path(centre.__file__).parent

#: Model class name -> its table's name (the entry's `entity`).
TABLES = {mapper.class_.__name__: mapper.class_.__tablename__ for mapper in db.Model.registry.mappers}


def _relationship_tables() -> dict[str, str]:
    """A relationship's name -> the table it leads to, where every relationship of that name agrees."""
    found = {}
    for mapper in db.Model.registry.mappers:
        for relationship in mapper.relationships:
            found.setdefault(relationship.key, set()).add(relationship.mapper.class_.__tablename__)
    return {name: tables.pop() for name, tables in found.items() if len(tables) == 1}


#: `document.request` -> assistance_request, `question.template` -> questionnaire_template
RELATIONSHIPS = _relationship_tables()

#: Actions passed as a variable that the source does not give as a literal at the call; each
#: with where the values come from. Key: (file relative to centre/, enclosing function).
ACTIONS_GIVEN_ELSEWHERE = {
    # _write_mark(..., action): its callers in attendance/services.py and attendance/signatures.py
    ("attendance/services.py", "_write_mark"): {"mark", "correct", "check_in", "sign_in"},
    # record_export(kind, ...): the routes of exports/routes.py call it with these kinds
    ("exports/services.py", "record_export"): {"export_registrations", "export_attendance", "export_certificates"},
    # f"joining_{kind.value}": every kind of joining notice
    ("joining/services.py", "_notice"): {f"joining_{kind.value}" for kind in NoticeKind},
}

#: Records given as an expression the scan does not resolve, with the tables they may be.
RECORDS_GIVEN_ELSEWHERE = {
    # an unknown e-mail has no account to name: the failed sign-in itself is the record
    ("auth/services.py", "subject"): {"user", "failed_login"},
    # the session's export, or the exporting account's for a period
    ("exports/services.py", "training_session or actor"): {"training_session", "user"},
    ("registrations/services.py", "user if user is not None else trainee"): {"user", "trainee"},
    # the waiting registration promoted (first_that_fits of the waiting list)
    ("registrations/services.py", "candidate"): {"registration"},
}

#: Details passed as **details from the callers, by (file, function).
DETAILS_GIVEN_ELSEWHERE = {
    ("attendance/services.py", "_write_mark"): {"reason", "note"},
    ("assistance/services.py", "_move"): {"reason", "session", "experts"},
    ("exports/services.py", "record_export"): {"format", "language", "start", "end"},
    ("evaluation/results.py", "record_export"): {"format", "language"},
    # before_<field>/after_<field>: the correction's fields, named through FIELD_LABELS (see below)
    ("registrations/services.py", "correct_trainee"): set(),
}


class Write:
    """One audit entry the code writes: where, its records, actions, details and whether it has states."""

    def __init__(self, where, entities, actions, details, states):
        self.where, self.entities, self.actions, self.details, self.states = where, entities, actions, details, states

    def __repr__(self):
        return f"{self.where} {sorted(self.entities)} {sorted(self.actions)}"


def _functions(tree):
    """Each node -> its innermost enclosing function."""
    owner = {}

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            owner[child] = function
            visit(child, child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function)

    visit(tree, None)
    return owner


def _model_name(annotation):
    """The model class an annotation names (`X`, `X | None`, "X"), or None."""
    if isinstance(annotation, ast.Name):
        return annotation.id
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value
    if isinstance(annotation, ast.BinOp):
        return _model_name(annotation.left)
    return None


def _entities(expression, function, relative, returns):
    """The tables an audited object may belong to, from the code around it."""
    text = ast.unparse(expression)
    if (relative, text) in RECORDS_GIVEN_ELSEWHERE:
        return RECORDS_GIVEN_ELSEWHERE[relative, text]
    if isinstance(expression, ast.Name) and function is not None:
        arguments = [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]
        for argument in arguments:
            if argument.arg == expression.id and _model_name(argument.annotation) in TABLES:
                return {TABLES[_model_name(argument.annotation)]}
        for node in ast.walk(function):  # name = Model(...) or name = other.relationship
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == expression.id
                                                    for t in node.targets):
                value = node.value
                called = value.func.id if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) else None
                if called in TABLES:
                    return {TABLES[called]}
                if returns.get(called) in TABLES:  # name = a_function_of_this_module(...) -> Model
                    return {TABLES[returns[called]]}
                if isinstance(value, ast.Attribute) and value.attr in RELATIONSHIPS:
                    return {RELATIONSHIPS[value.attr]}
    if isinstance(expression, ast.Attribute) and expression.attr in RELATIONSHIPS:  # focal_point.institution
        return {RELATIONSHIPS[expression.attr]}
    if getattr(expression, "id", None) in TABLES.values():  # `training_session`, `certificate`
        return {expression.id}
    raise AssertionError(f"{relative}:{expression.lineno}: cannot tell which record `{text}` is; name it in RECORDS_GIVEN_ELSEWHERE")


def _strings(expression):
    """The literal strings an expression may be (a literal, or `a if c else b`), or None."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return {expression.value}
    if isinstance(expression, ast.IfExp):
        body, orelse = _strings(expression.body), _strings(expression.orelse)
        return body | orelse if body is not None and orelse is not None else None
    return None


def _actions(expression, function, relative):
    found = _strings(expression)
    if found is not None:
        return found
    key = (relative, function.name if function else None)
    if key in ACTIONS_GIVEN_ELSEWHERE:
        return ACTIONS_GIVEN_ELSEWHERE[key]
    if isinstance(expression, ast.Name) and function is not None:  # action = "a" if ... else "b"
        values = set()
        for node in ast.walk(function):
            if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == expression.id
                                                     for t in node.targets)):
                assigned = _strings(node.value)
                if assigned is None:
                    break
                values |= assigned
        else:
            if values:
                return values
    raise AssertionError(f"{relative}:{expression.lineno}: cannot tell the action `{ast.unparse(expression)}`; "
                         "name its values in ACTIONS_GIVEN_ELSEWHERE")


def _details(call, function, relative):
    details = {keyword.arg for keyword in call.keywords
               if keyword.arg and keyword.arg not in ("from_state", "to_state", "actor")}
    if any(keyword.arg is None for keyword in call.keywords):  # **details
        key = (relative, function.name if function else None)
        if key in DETAILS_GIVEN_ELSEWHERE:
            details |= DETAILS_GIVEN_ELSEWHERE[key]
        elif function is not None:  # details["reason"] = ... in the same function
            subscripts = {node.slice.value for node in ast.walk(function)
                          if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
                          and isinstance(node.slice, ast.Constant)}
            if not subscripts:
                raise AssertionError(f"{relative}:{call.lineno}: cannot tell the details of **; "
                                     "name them in DETAILS_GIVEN_ELSEWHERE")
            details |= subscripts
    return details


def audit_writes() -> list[Write]:
    writes = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        source = path.read_text()
        if "audit.record(" not in source and "_audit(" not in source:  # parse only the writers: cheaper
            continue
        tree = ast.parse(source)
        owner = _functions(tree)
        returns = {node.name: _model_name(node.returns) for node in tree.body if isinstance(node, ast.FunctionDef)}
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
                continue
            function = owner.get(call)
            states = any(keyword.arg in ("from_state", "to_state") for keyword in call.keywords)
            where = f"{relative}:{call.lineno}"
            if call.func.attr == "record" and getattr(call.func.value, "id", None) == "audit":
                obj, action = call.args
                writes.append(Write(where, _entities(obj, function, relative, returns), _actions(action, function, relative),
                                    _details(call, function, relative), states))
            elif call.func.attr == "_audit" and relative == "seed/volume.py":  # rows of the demo volume
                model, _id, action, _at = call.args
                writes.append(Write(where, {TABLES[model.id]}, _actions(action, function, relative),
                                    _details(call, function, relative), states))
    return writes


WRITES = audit_writes()


def test_the_scan_finds_the_writers():
    """The scan sees the calls (a rename of audit.record would otherwise make every check pass)."""
    assert len(WRITES) > 100
    assert any("focal_point_invite" in write.actions for write in WRITES)


def missing_words(write: Write) -> list[str]:
    """What an entry of this write would show as stored."""
    missing = []
    for entity in sorted(write.entities):
        if entity not in audit_text.RECORD_LABELS:
            missing.append(f"record kind {entity!r}")
        missing += [f"action ({entity!r}, {action!r})" for action in sorted(write.actions)
                    if audit_text.action_label(entity, action) == action]
        if write.states and entity not in audit_text.STATE_LABELS:
            missing.append(f"states of {entity!r}")
    missing += [f"detail {detail!r}" for detail in sorted(write.details)
                if detail not in audit_text.DETAIL_LABELS and detail not in audit_text.HIDDEN_DETAILS]
    return missing


@pytest.mark.parametrize("write", WRITES, ids=repr)
def test_every_audited_action_and_record_is_named(write):
    assert not missing_words(write), f"{write.where}: no words in centre/audit_text.py for {missing_words(write)}"


def test_the_correction_names_its_fields():
    """A trainee's correction stores before_<field>/after_<field>: each field it may name has words."""
    for name in [*CORRECTABLE, "institution"]:
        if name not in ("institution_id", "institution_other"):
            assert name in audit_text.FIELD_LABELS, name


def test_the_audit_log_and_a_session_history_read_the_new_entries_in_words(app, client, login_as, create_session):
    """What the tables are for: entries of the later areas read in French on the audit log page,
    their machine words (action, state, kind, purpose) nowhere; a page with its own table of
    actions (the session's history) falls back on audit_text for the actions it does not name."""
    login_as("coordinator")
    with app.app_context():
        training_session = create_session()
        audit.record(training_session, "practical_info", actor=None, fields="map_url")
        db.session.add_all([
            AuditEntry(entity="assistance_request", entity_id=7, action="submit", to_state="submitted",
                       details={"kind": "expert_mission", "documents": "1"}),
            AuditEntry(entity="questionnaire", entity_id=3, action="create",
                       details={"purpose": "positioning", "anonymous": "True", "template": "FIN v2"}),
            AuditEntry(entity="institution", entity_id=5, action="focal_point_invite",
                       details={"email": "pf@example.org", "language": "ar"}),
        ])
        db.session.commit()
        session_id = training_session.id
    client.set_cookie("centre_lang", "fr")
    page = client.get("/admin/audit/").get_data(as_text=True)
    for words in ("Demande soumise", "assistance technique", "Mission d&#39;experts chez le partenaire",
                  "Questionnaire prévu", "Positionnement (avant l&#39;arrivée)", "Anonyme: <bdi dir=\"auto\">Oui",
                  "Point focal invité", "العربية", 'href="/assistance/7"',
                  "Informations pratiques modifiées", "Lien vers le plan"):
        assert words in page, words
    entries = page.split("</form>")[1]  # the filters' options hold the actions' machine words as values
    for machine in ("focal_point_invite", "expert_mission", "positioning", "submitted", "True", "map_url"):
        assert machine not in entries, machine
    history = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Informations pratiques modifiées" in history and "practical_info" not in history
