"""Service API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router

from . import complaints, equipment, surveys

# Complaints and claims
router.register("complaint-types", complaints.ComplaintTypeViewSet)
router.register("complaint-departments", complaints.DepartmentViewSet)
router.register("complaints", complaints.ComplaintViewSet)
router.register("complaint-tasks", complaints.ComplaintTaskViewSet)

# Equipment and service
router.register("service-contracts", equipment.ServiceContractViewSet)
router.register("equipment", equipment.EquipmentViewSet)
router.register("service-visits", equipment.ServiceVisitViewSet)
# Surveys: questionnaires, questions, rules, invitations with responses
router.register("surveys", surveys.SurveyViewSet)
router.register("survey-questions", surveys.QuestionViewSet)
router.register("survey-rules", surveys.SurveyRuleViewSet)
router.register("survey-invitations", surveys.SurveyInvitationViewSet)
