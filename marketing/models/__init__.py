"""Marketing models, one module per part: campaigns, inquiries, forms, segments and groups in
``campaigns``; mailings and consent in ``mailings``; call lists in ``calls``."""

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
