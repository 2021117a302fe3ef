"""French of every message of :mod:`audit.catalogue` (English → French).

Written for owners reading their report: "vous" throughout, a visit's
"shopper" is the "client mystère", a touchpoint a "point de contact".
French puts a thin no-break space before : ; ? ! and inside « » (added by
:func:`_typeset`, so the texts below read plainly).
"""

from __future__ import annotations

import re

NNBSP = "\u202f"  # narrow no-break space
NBSP = "\u00a0"


def _typeset(text: str) -> str:
    text = re.sub(r" ([:;?!])", NNBSP + r"\1", text)
    return text.replace("« ", "«" + NBSP).replace(" »", NBSP + "»")


_FRENCH: dict[str, str] = {
    # ---- touchpoints, bands, words of answers (audit.presentation)
    "Website": "Site web",
    "Phone": "Téléphone",
    "Arrival": "Arrivée",
    "Facilities": "Équipements",
    "Consultation": "Conseil",
    "Checkout": "Caisse",
    "Follow-up": "Suivi",
    "Site visit": "Visite sur site",
    "Strong": "Solide",
    "Fair": "Moyen",
    "Weak": "Faible",
    "Not rated": "Non noté",
    "likely to recommend you unprompted": "susceptible de vous recommander spontanément",
    "satisfied, but not enough to recommend you": (
        "satisfait, mais pas au point de vous recommander"
    ),
    "more likely to warn friends off than to recommend you": (
        "plus enclin à dissuader ses proches qu'à vous recommander"
    ),
    "a promoter": "un promoteur",
    "a passive": "un passif",
    "a detractor": "un détracteur",
    "Waiting for HQ": "En attente du siège",
    "Upheld": "Accepté",
    "Partly upheld": "Accepté en partie",
    "Rejected": "Rejeté",
    "Fixed": "Corrigé",
    "Still failing": "Toujours en échec",
    "Not shown (skipped by an earlier answer)": "Non affiché (écarté par une réponse précédente)",
    "Not applicable": "Sans objet",
    "No photo": "Aucune photo",
    "{n} photo": "{n} photo",
    "{n} photos": "{n} photos",
    "Not answered": "Sans réponse",
    "Yes": "Oui",
    "No": "Non",
    "{value} on a scale of {low} to {high}": "{value} sur une échelle de {low} à {high}",
    "{value} out of 10": "{value} sur 10",
    "Consistency": "Cohérence",
    "Agree": "Concordent",
    "Disagree": "Divergent",
    "Not checked": "Non vérifié",
    "Not recorded": "Non relevé",
    # ---- the cover
    "The verdict": "Le verdict",
    "Customer experience report": "Rapport d'expérience client",
    "Customer experience report: {location}, {day}": (
        "Rapport d'expérience client : {location}, {day}"
    ),
    "{checklist} (version {version}) at {location} on {day}: overall score {score} out of 100.": (
        "{checklist} (version {version}) à {location} le {day} : note globale de {score} sur 100."
    ),
    "{region} region": "région {region}",
    "visited": "visite du",
    "{checklist}, version {version}": "{checklist}, version {version}",
    "reference {reference}": "référence {reference}",
    "Version {version} — amended after appeal on {day}. HQ's decision on each disputed item is"
    ' listed under "Appeals" after the detail; every score in this version includes them.': (
        "Version {version} — modifiée après contestation le {day}. La décision du siège sur"
        " chaque élément contesté figure sous « Contestations », après le détail ; toutes les"
        " notes de cette version en tiennent compte."
    ),
    "Critical failures": "Manquements critiques",
    "Critical failure": "Manquement critique",
    "(shopper's answer: {answer})": "(réponse : {answer})",
    "and {more} more, marked in the detail": "et {more} de plus, signalés dans le détail",
    "A failed critical item caps the overall score at {cap}.": (
        "Un élément critique en échec plafonne la note globale à {cap}."
    ),
    "Without it, this visit would have scored {score}.": (
        "Sans lui, cette visite aurait obtenu {score}."
    ),
    "Overall score": "Note globale",
    "Service": "Service",
    "Experience": "Expérience",
    "Would recommend": "Recommanderait",
    "out of 10, {group}": "sur 10, {group}",
    "not answered": "sans réponse",
    "The customer's journey": "Le parcours client",
    "touchpoints in the order the shopper met them, score out of 100": (
        "les points de contact dans l'ordre de la visite, notés sur 100"
    ),
    "across all": "sur l'ensemble",
    "{agreed} of {checked} agree": "{agreed} sur {checked} en accord",
    "The touchpoints disagree": "Les points de contact se contredisent",
    "on": "sur ces points :",
    "and": "et",
    ": what each one told the shopper is on the next page.": (
        ". Ce que chacun a dit figure page suivante."
    ),
    "What to fix first": "À corriger en priorité",
    "Critical item": "Élément critique",
    "Critical item, failed": "Élément critique, en échec",
    "Answer: {answer}": "Réponse : {answer}",
    "“{comment}”": "« {comment} »",
    "Every scored item earned full points.": "Tous les éléments notés ont obtenu le maximum.",
    "What went well": "Ce qui a bien fonctionné",
    "Against the others": "Face aux autres",
    "Overall {score}:": "Note globale {score} :",
    "Overall {score}": "Note globale {score}",
    "Overall": "Note globale",
    "Biggest gap: {sentence} ({this} against {other}).": (
        "Écart le plus marqué : {sentence} ({this} contre {other})."
    ),
    "Rank by overall score: {ranks}.": "Classement par note globale : {ranks}.",
    "Shopper NPS of this location: {nps}.": "NPS client mystère de ce point de vente : {nps}.",
    "No other location has an approved audit with this checklist visited on or before this"
    " visit yet.": (
        "Aucun autre point de vente n'a encore d'audit approuvé avec cette grille, visité"
        " au plus tard à la date de cette visite."
    ),
    "Benchmarks as of {day}": "Comparaisons au {day}",
    "(taken again at the re-approval after appeal)": (
        "(recalculées lors de la nouvelle approbation après contestation)"
    ),
    ": other locations' approved audits of this checklist visited on or before this visit.": (
        " : audits approuvés des autres points de vente, même grille, visités au plus tard"
        " le jour de cette visite."
    ),
    "Then: what went well, the comparisons, every observation and {n} evidence photo.": (
        "Ensuite : points forts, comparaisons, toutes les observations et {n} photo."
    ),
    "Then: what went well, the comparisons, every observation and {n} evidence photos.": (
        "Ensuite : points forts, comparaisons, toutes les observations et {n} photos."
    ),
    "Then: what went well, the comparisons, every observation.": (
        "Ensuite : points forts, comparaisons et toutes les observations."
    ),
    # ---- what went well, consistency
    "Your customers judge the whole journey, not only the moments they spend with your staff.": (
        "Vos clients jugent l'ensemble du parcours, pas seulement les moments passés avec"
        " votre équipe."
    ),
    "<strong>Service</strong> ({score}, {band}) is how your people handled each exchange with"
    " the customer: calls, greetings, advice, checkout and follow-up.": (
        "Le <strong>service</strong> ({score}, {band}) mesure la façon dont votre équipe a"
        " mené chaque échange avec le client : appels, accueil, conseil, passage en caisse"
        " et suivi."
    ),
    "<strong>Experience</strong> ({score}, {band}) is everything the customer met without"
    " staff: website, messages, waiting times, the store and its facilities.": (
        "L'<strong>expérience</strong> ({score}, {band}) couvre tout ce que le client a"
        " rencontré sans personnel : site web, messages, temps d'attente, le magasin et ses"
        " équipements."
    ),
    "The shopper did not answer whether they would recommend you.": (
        "Le client mystère n'a pas dit s'il vous recommanderait."
    ),
    "The shopper's answer as a customer: {value} makes {group}, {meaning}.": (
        "La réponse du client mystère en tant que client : {value} en fait {group}, {meaning}."
    ),
    "No scored item earned points on this visit.": (
        "Aucun élément noté n'a rapporté de points lors de cette visite."
    ),
    "One story at every touchpoint": "Un même discours à chaque point de contact",
    "A customer who reads one set of opening hours on the website, hears another on the"
    " phone and finds a third on the door loses trust even if each touchpoint looks fine on"
    " its own. The shopper wrote down what each touchpoint said; these checks compare them.": (
        "Un client qui lit des horaires sur le site web, en entend d'autres au téléphone et"
        " en trouve d'autres encore sur la porte perd confiance, même si chaque point de"
        " contact paraît correct pris isolément. Le client mystère a noté ce que disait"
        " chacun ; ces contrôles les comparent."
    ),
    "Consistency ({score}, {agreed} of {checked} checks agree) is scored apart from the"
    " touchpoints": (
        "La cohérence ({score}, {agreed} contrôles concordants sur {checked}) est notée à"
        " part des points de contact"
    ),
    "Consistency ({score}) is scored apart from the touchpoints": (
        "La cohérence ({score}) est notée à part des points de contact"
    ),
    "; a disagreement on a critical check caps the overall score like a failed critical item": (
        " ; une divergence sur un contrôle critique plafonne la note globale comme un"
        " élément critique en échec"
    ),
    "Critical check": "Contrôle critique",
    "Touchpoint": "Point de contact",
    "What the shopper recorded": "Ce que le client mystère a relevé",
    "What it said": "Ce qui a été dit",
    ": fewer than two touchpoints gave this on the visit.": (
        " : moins de deux points de contact ont fourni cette information lors de la visite."
    ),
    "{rule}: the touchpoints disagree": "{rule} : les points de contact se contredisent",
    # ---- comparisons and trend
    "How this visit compares": "Cette visite comparée aux autres",
    "{n} approved audit in {region}": "{n} audit approuvé dans la région {region}",
    "{n} approved audits in {region}": "{n} audits approuvés dans la région {region}",
    "{n} approved audit": "{n} audit approuvé",
    "{n} approved audits": "{n} audits approuvés",
    "Averages cover other locations' approved audits with the same checklist, visited on or"
    " before this visit.": (
        "Les moyennes portent sur les audits approuvés des autres points de vente avec la"
        " même grille, visités au plus tard à la date de cette visite."
    ),
    "No other location has an approved audit with this checklist visited on or before this"
    " visit: averages for the region and the brand appear once there are some.": (
        "Aucun autre point de vente n'a d'audit approuvé avec cette grille, visité au plus"
        " tard à la date de cette visite : les moyennes de la région et de l'enseigne"
        " apparaîtront dès qu'il y en aura."
    ),
    "Trend at this location": "Évolution de ce point de vente",
    "The chart shows the overall score of this visit and of the {n} previous approved audit"
    " of {location}; the dashed line is the brand average.": (
        "Le graphique montre la note globale de cette visite et de {n} audit"
        " approuvé précédent de {location} ; la ligne en pointillés est la moyenne de l'enseigne."
    ),
    "The chart shows the overall score of this visit and of the {n} previous approved audits"
    " of {location}; the dashed line is the brand average.": (
        "Le graphique montre la note globale de cette visite et des {n} audits approuvés"
        " précédents de {location} ; la ligne en pointillés est la moyenne de l'enseigne."
    ),
    "The chart shows the overall score of this visit and of the {n} previous approved audit"
    " of {location}.": (
        "Le graphique montre la note globale de cette visite et de {n} audit"
        " approuvé précédent de {location}."
    ),
    "The chart shows the overall score of this visit and of the {n} previous approved audits"
    " of {location}.": (
        "Le graphique montre la note globale de cette visite et des {n} audits approuvés"
        " précédents de {location}."
    ),
    "Each touchpoint over the same visits": "Chaque point de contact sur les mêmes visites",
    "Each line is one touchpoint from 0 to 100, its first score at the left and this visit's"
    " at the right; visits are spaced by date.": (
        "Chaque ligne représente un point de contact de 0 à 100, sa première note à gauche"
        " et celle de cette visite à droite ; les visites sont espacées selon leur date."
    ),
    "This is the first approved audit of {location} with this checklist. The trend starts"
    " with the next one.": (
        "C'est le premier audit approuvé de {location} avec cette grille. L'évolution"
        " apparaîtra à partir du prochain."
    ),
    "{n} point": "{n} point",
    "{n} points": "{n} points",
    "level with the region average": "au niveau de la moyenne régionale",
    "level with the brand average": "au niveau de la moyenne de l'enseigne",
    "{points} above the region average": "{points} au-dessus de la moyenne régionale",
    "{points} above the brand average": "{points} au-dessus de la moyenne de l'enseigne",
    "{points} below the region average": "{points} sous la moyenne régionale",
    "{points} below the brand average": "{points} sous la moyenne de l'enseigne",
    "Unchanged since the previous audit on {day}.": "Inchangée depuis l'audit précédent du {day}.",
    "Up {points} since the previous audit on {day}.": (
        "En hausse de {points} depuis l'audit précédent du {day}."
    ),
    "Down {points} since the previous audit on {day}.": (
        "En baisse de {points} depuis l'audit précédent du {day}."
    ),
    "{touchpoint} is {points} below the region average": (
        "{touchpoint} est {points} sous la moyenne régionale"
    ),
    "{touchpoint} is {points} below the brand average": (
        "{touchpoint} est {points} sous la moyenne de l'enseigne"
    ),
    "{touchpoint} is level with the region average; every other touchpoint is above it": (
        "{touchpoint} est au niveau de la moyenne régionale ; tous les autres points de"
        " contact la dépassent"
    ),
    "{touchpoint} is level with the brand average; every other touchpoint is above it": (
        "{touchpoint} est au niveau de la moyenne de l'enseigne ; tous les autres points de"
        " contact la dépassent"
    ),
    "Every touchpoint is above the region average; {touchpoint} leads it least, by {points}": (
        "Tous les points de contact dépassent la moyenne régionale ; {touchpoint} la"
        " devance le moins, de {points}"
    ),
    "Every touchpoint is above the brand average; {touchpoint} leads it least, by {points}": (
        "Tous les points de contact dépassent la moyenne de l'enseigne ; {touchpoint} la"
        " devance le moins, de {points}"
    ),
    "{place} of {of} in {region}": "{place} sur {of} dans la région {region}",
    "{place} of {of} in the region": "{place} sur {of} dans la région",
    "{place} of {of} in the brand": "{place} sur {of} dans l'enseigne",
    "{value} over the last {visits} (n = {answers}: {promoters}, {detractors})": (
        "{value} sur les {visits} (n = {answers} : {promoters}, {detractors})"
    ),
    "{n} visit": "{n} dernière visite",
    "{n} visits": "{n} dernières visites",
    "{n} promoter": "{n} promoteur",
    "{n} promoters": "{n} promoteurs",
    "{n} detractor": "{n} détracteur",
    "{n} detractors": "{n} détracteurs",
    # ---- charts
    "Score {score} out of 100, band {band}": "Note de {score} sur 100, niveau {band}",
    "This location": "Ce point de vente",
    "Region average": "Moyenne régionale",
    "Brand average": "Moyenne de l'enseigne",
    "no data": "aucune donnée",
    "Scores of this location beside its region and the brand": (
        "Notes de ce point de vente face à sa région et à l'enseigne"
    ),
    "Brand {score}": "Enseigne {score}",
    "this visit": "cette visite",
    "Overall score of this location over its approved audits": (
        "Note globale de ce point de vente au fil de ses audits approuvés"
    ),
    "Touchpoint scores of this location over its approved audits": (
        "Notes par point de contact de ce point de vente au fil de ses audits approuvés"
    ),
    # ---- since the last visit
    "Since the last visit": "Depuis la dernière visite",
    "Each item below failed or was weak at the previous approved visit; this visit checked"
    " it again.": (
        "Chacun des éléments ci-dessous était en échec ou faible lors de la précédente visite"
        " approuvée ; cette visite l'a vérifié de nouveau."
    ),
    "This visit": "Cette visite",
    "Now": "Désormais",
    "Your action: {action}": "Votre action : {action}",
    "No action was recorded": "Aucune action n'a été enregistrée",
    "open": "en cours",
    "done": "terminée",
    "done {day}": "terminée le {day}",
    "{what} ({who}; due {due}, {state})": "{what} ({who} ; échéance le {due}, {state})",
    "{fixed} of the {n} item that failed or were weak at the visit of {day} is fixed": (
        "{fixed} élément sur {n}, en échec ou faible lors de la visite du {day}, est corrigé"
    ),
    "{fixed} of the {n} item that failed or were weak at the visit of {day} are fixed": (
        "{fixed} élément sur {n}, en échec ou faible lors de la visite du {day}, est corrigé"
    ),
    "{fixed} of the {n} items that failed or were weak at the visit of {day} is fixed": (
        "{fixed} des {n} éléments en échec ou faibles lors de la visite du {day} est corrigé"
    ),
    "{fixed} of the {n} items that failed or were weak at the visit of {day} are fixed": (
        "{fixed} des {n} éléments en échec ou faibles lors de la visite du {day} sont corrigés"
    ),
    "; {unchecked} did not count at this visit": (
        " ; {unchecked} n'ont pas compté lors de cette visite"
    ),
    # ---- the detail
    "The visit in detail": "La visite en détail",
    "Every item the shopper was shown, in the order of the customer's journey. Items with a"
    " dark bar at the left are <strong>service</strong>: an exchange with your staff; the"
    " others are <strong>experience</strong>. <em>Points</em> are the share of the item's"
    " weight it earned; items marked N/A did not apply and count nowhere.": (
        "Tous les éléments présentés au client mystère, dans l'ordre du parcours client. Ceux"
        " qui portent une barre sombre à gauche relèvent du <strong>service</strong> : un"
        " échange avec votre équipe ; les autres relèvent de l'<strong>expérience</strong>."
        " Les <em>points</em> sont la part du poids de chaque élément qu'il a obtenue ; les"
        " éléments marqués S.O. ne s'appliquaient pas et ne comptent nulle part."
    ),
    "Touchpoint: {touchpoint}": "Point de contact : {touchpoint}",
    "weight {weight} in the overall": "poids {weight} dans la note globale",
    "service": "service",
    "experience": "expérience",
    "{n} item": "{n} élément",
    "{n} items": "{n} éléments",
    "{count} not applicable": "{count} sans objet",
    "Item": "Élément",
    "Answer": "Réponse",
    "Weight": "Poids",
    "Points": "Points",
    "{number}. {title}, continued": "{number}. {title} (suite)",
    "Amended after appeal": "Modifié après contestation",
    "N/A": "S.O.",
    "Shopper's comment:": "Commentaire du client mystère :",
    "Evidence:": "Justificatifs :",
    "photo {number}": "photo {number}",
    "{earned} of {weight}": "{earned} sur {weight}",
    "[shortened from {count} characters]": "[abrégé, {count} caractères à l'origine]",
    # ---- appeals
    "Appeals": "Contestations",
    "You disputed {n} item of this report.": "Vous avez contesté {n} élément de ce rapport.",
    "You disputed {n} items of this report.": "Vous avez contesté {n} éléments de ce rapport.",
    "Head office looked at each one again; this is version {version} of the report, amended"
    " on {day}. An upheld appeal gives the item the answer head office decided, and every"
    " score is worked out again from it.": (
        "Le siège a réexaminé chacun d'eux ; voici la version {version} du rapport, modifiée"
        " le {day}. Une contestation acceptée donne à l'élément la réponse retenue par le siège,"
        " et toutes les notes sont recalculées à partir d'elle."
    ),
    "Decision": "Décision",
    "decided {day}": "décidé le {day}",
    "(first reported: {answer})": "(réponse initiale : {answer})",
    "(unchanged)": "(inchangée)",
    "Head office:": "Le siège :",
    "as reported": "telle que relevée",
    # ---- evidence
    "Evidence": "Justificatifs",
    "The shopper's photos at full size, numbered as in the detail, each with its touchpoint"
    " and item.": (
        "Les photos du client mystère en grand format, numérotées comme dans le détail,"
        " chacune avec son point de contact et son élément."
    ),
    "Photo {number}": "Photo {number}",
    "Photo {number}: {text}": "Photo {number} : {text}",
    "Photo of {text}": "Photo : {text}",
    # ---- report.css's words (audit.report.render)
    "How scores are computed: each item earns points in proportion to its weight; a"
    " touchpoint's score is the share of the points it could earn; the overall is the"
    " weighted mean of the touchpoints. Items that do not apply count nowhere. A failed"
    " critical item caps the overall score.": (
        "Calcul des notes : chaque élément rapporte des points en proportion de son poids ;"
        " la note d'un point de contact est la part des points qu'il pouvait obtenir ; la"
        " note globale est la moyenne pondérée des points de contact. Les éléments sans"
        " objet ne comptent nulle part. Un élément critique en échec plafonne la note globale."
    ),
    "Page {page} of {pages}": "Page {page} sur {pages}",
    "(page {page})": "(page {page})",
}

FRENCH: dict[str, str] = {english: _typeset(french) for english, french in _FRENCH.items()}
