"""Marketing models, one module per part: campaigns, inquiries, forms, segments and groups in
``campaigns``; mailings and consent in ``mailings``; call lists in ``calls``."""

from .calls import CallList, CallListEntry, CallQuestion, CallScript  # noqa: F401
from .campaigns import (  # noqa: F401
    MARKETING_ROLES,
    USER,
    Campaign,
    CampaignCost,
    DealCampaign,
    FieldMode,
    GroupMember,
    Inquiry,
    MailingGroup,
    Segment,
    UsedChallenge,
    WebForm,
    WebFormHit,
    company_currency,
    new_token,
)
from .mailings import (  # noqa: F401
    DELIVERED,
    FINAL_STATES,
    Audience,
    Channel,
    Mailing,
    MailingRecipient,
    RecipientState,
)
from .sms import OutgoingSms  # noqa: F401
