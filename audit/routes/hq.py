"""HQ's routes: the comparison API, the exports, and the dashboard pages.

One computation feeds a page and its JSON twin (:mod:`audit.routes.hq_figures`);
the handlers live by idea in :mod:`~audit.routes.hq_api`,
:mod:`~audit.routes.exports`, :mod:`~audit.routes.hq_pages`,
:mod:`~audit.routes.review_pages` and :mod:`~audit.routes.shopper_pages`.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from audit.routes.answer_exports import answers_csv, answers_xlsx
from audit.routes.appeal_pages import appeal_page, appeals_page
from audit.routes.common import api
from audit.routes.exports import audits_csv, audits_xlsx, compare_csv, compare_xlsx
from audit.routes.hq_actions import actions_page
from audit.routes.hq_api import (
    compare_json,
    heatmap_json,
    review_queue_json,
    trends_json,
    weakest_json,
)
from audit.routes.hq_imports import apply as apply_import
from audit.routes.hq_imports import import_page, preview_page, upload
from audit.routes.hq_integrations import (
    create_token,
    create_webhook,
    delete_webhook,
    ping_webhook,
    resend_delivery,
    revoke_token,
    switch_webhook,
    tokens_page,
    webhook_page,
    webhooks_page,
)
from audit.routes.hq_pages import (
    heatmap_page,
    league_page,
    location_page,
    trends_page,
    weakest_page,
)
from audit.routes.hq_templates import action, page
from audit.routes.hq_users import (
    deactivate,
    end_sessions,
    invite,
    reactivate,
    resend_invitation,
    set_brands,
    users_page,
)
from audit.routes.review_pages import audit_page, review_page
from audit.routes.shopper_pages import shopper_json, shopper_page, shoppers_json, shoppers_page
from audit.routes.wave_pages import assignments_page, new_wave_page, wave_page, waves_page


def hq_routes() -> list[BaseRoute]:
    return [
        Route("/api/compare", api(compare_json), methods=["GET"]),
        Route("/api/compare.csv", api(compare_csv), methods=["GET"]),
        Route("/api/compare.xlsx", api(compare_xlsx), methods=["GET"]),
        Route("/api/heatmap", api(heatmap_json), methods=["GET"]),
        Route("/api/trends", api(trends_json), methods=["GET"]),
        Route("/api/weakest-items", api(weakest_json), methods=["GET"]),
        Route("/api/review-queue", api(review_queue_json), methods=["GET"]),
        Route("/api/shoppers", api(shoppers_json), methods=["GET"]),
        Route("/api/shoppers/{user_id}", api(shopper_json), methods=["GET"]),
        Route("/api/audits.csv", api(audits_csv), methods=["GET"]),
        Route("/api/audits.xlsx", api(audits_xlsx), methods=["GET"]),
        Route("/api/answers.csv", api(answers_csv), methods=["GET"]),
        Route("/api/answers.xlsx", api(answers_xlsx), methods=["GET"]),
        Route("/hq", page(league_page), methods=["GET"]),
        Route("/hq/heatmap", page(heatmap_page), methods=["GET"]),
        Route("/hq/trends", page(trends_page), methods=["GET"]),
        Route("/hq/weakest", page(weakest_page), methods=["GET"]),
        Route("/hq/review", page(review_page), methods=["GET"]),
        Route("/hq/actions", page(actions_page), methods=["GET"]),
        Route("/hq/locations/{code}", page(location_page), methods=["GET"]),
        Route("/hq/audits/{uuid}", page(audit_page), methods=["GET"]),
        Route("/hq/appeals", page(appeals_page), methods=["GET"]),
        Route("/hq/appeals/{uuid}", page(appeal_page), methods=["GET"]),
        Route("/hq/shoppers", page(shoppers_page), methods=["GET"]),
        Route("/hq/shoppers/{user_id}", page(shopper_page), methods=["GET"]),
        Route("/hq/users", page(users_page), methods=["GET"]),
        Route("/hq/waves", page(waves_page), methods=["GET"]),
        Route("/hq/waves/new", page(new_wave_page), methods=["GET"]),
        Route("/hq/waves/{wave_id}", page(wave_page), methods=["GET"]),
        Route("/hq/assignments", page(assignments_page), methods=["GET"]),
        Route("/hq/users/{user_id}/end-sessions", page(end_sessions), methods=["POST"]),
        Route("/hq/users/{user_id}/deactivate", page(deactivate), methods=["POST"]),
        Route("/hq/users/{user_id}/reactivate", action(reactivate), methods=["POST"]),
        Route("/hq/users/{user_id}/brands", action(set_brands), methods=["POST"]),
        Route("/hq/users/{user_id}/invite", action(resend_invitation), methods=["POST"]),
        Route("/hq/users/invite", api(invite, tokens=False), methods=["POST"]),
        Route("/hq/tokens", page(tokens_page), methods=["GET"]),
        Route("/hq/tokens", action(create_token), methods=["POST"]),
        Route("/hq/tokens/{token_id}/revoke", action(revoke_token), methods=["POST"]),
        Route("/hq/webhooks", page(webhooks_page), methods=["GET"]),
        Route("/hq/webhooks", action(create_webhook), methods=["POST"]),
        Route("/hq/webhooks/{endpoint_id}", page(webhook_page), methods=["GET"]),
        Route("/hq/webhooks/{endpoint_id}/switch", action(switch_webhook), methods=["POST"]),
        Route("/hq/webhooks/{endpoint_id}/delete", action(delete_webhook), methods=["POST"]),
        Route("/hq/webhooks/{endpoint_id}/ping", action(ping_webhook), methods=["POST"]),
        Route(
            "/hq/webhooks/{endpoint_id}/deliveries/{delivery_id}/resend",
            action(resend_delivery),
            methods=["POST"],
        ),
        Route("/hq/import", page(import_page), methods=["GET"]),
        Route("/hq/import", api(upload, tokens=False), methods=["POST"]),
        Route("/hq/import/{kind}/{digest}", page(preview_page), methods=["GET"]),
        Route(
            "/hq/import/{kind}/{digest}/apply", api(apply_import, tokens=False), methods=["POST"]
        ),
    ]
