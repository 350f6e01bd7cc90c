"""Import jobs: a factory, and the sample and probes of the generated access matrix."""

from django.core.files.base import ContentFile

from core import access
from core.tests import samples

from ..models import ImportJob

CSV = "Наименование;ИНН;Телефон\r\n{name};7707083893;+7 916 123-45-67\r\n"


def make_job(user, name="ООО Импорт", state=ImportJob.State.VALIDATED, **values):
    """A job of ``user`` with a one-row CSV (cp1251, ';'), mapped and validated unless told otherwise."""
    data = CSV.format(name=name).encode("cp1251")
    job = ImportJob(created_by=user, file_name=f"{name}.csv", file_format="csv", encoding="cp1251", delimiter=";",
                    headers=["Наименование", "ИНН", "Телефон"], mapping=["name", "tax_id", "phone"],
                    state=state, total_rows=1, summary={"create": 1, "update": 0, "skip": 0, "errors": 0,
                                                         "flagged": 0}, **values)
    job.file.save("sample.csv", ContentFile(data), save=False)
    job.save()
    return job


@samples.sample(ImportJob)
def import_job_sample(world):
    return make_job(world.owner, name=world.text("import"))


ROW = {"method": "post", "action": access.CHANGE, "target": ImportJob}
for name in ("integrations:import", "integrations:import_status", "integrations:import_errors"):
    samples.probe(name, action=access.VIEW, target=ImportJob)
samples.probe("integrations:import_add", kind="list", action=access.ADD, positive=False)
samples.probe("integrations:import_mapping", **ROW,
              data=lambda world, job: {"col_0": "name", "col_1": "tax_id", "col_2": "phone"})
samples.probe("integrations:import_decisions", **ROW, data=lambda world, job: {"policy": "update_tax_id"})
samples.probe("integrations:import_run", **ROW)
samples.probe("integrations:import_cancel", **ROW)
samples.probe("api:importjob-mapping", **ROW, data=lambda world, job: {"mapping": ["name", "tax_id", "phone"]})
samples.probe("api:importjob-run", **ROW, data=lambda world, job: {"policy": "update_tax_id"})
samples.probe("api:importjob-cancel", **ROW)
