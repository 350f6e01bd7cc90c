app_name = "service"

urlpatterns = []
