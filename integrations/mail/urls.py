from django.urls import path

from core.routes import crud_urls

from . import views

urlpatterns = [
    *crud_urls("mailboxes", "mailbox", list=views.MailboxListView, edit=views.MailboxEditView,
               delete=views.MailboxDeleteView, history=views.MailboxHistoryView),
    path("mailboxes/<int:pk>/check/", views.MailboxCheckView.as_view(), name="mailbox_check"),
    *crud_urls("letters", "letter", list=views.LetterListView, detail=views.LetterDetailView),
    path("letters/<int:pk>/review/", views.LetterReviewView.as_view(), name="letter_review"),
]
