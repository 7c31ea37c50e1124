"""Spanish: what buyers read, by the names of bot/texts.py. Item names come from the taxonomy (English)."""

TEXTS = {
    "BUTTON_ACCEPT": "Aceptar",
    "BUTTON_CANCEL_REQUEST": "Cancelar {code} ({what})",
    "BUTTON_CHANGE": "✏️ Cambiar…",
    "BUTTON_CHANGE_ZIP": "Cambiar código postal",
    "BUTTON_DECLINE": "Rechazar",
    "BUTTON_DROP": "✖️ Cancelar",
    "BUTTON_EDIT_DEADLINE": "Para cuándo",
    "BUTTON_EDIT_ITEM": "Qué",
    "BUTTON_EDIT_PLACE": "Dónde",
    "BUTTON_EDIT_QUANTITY": "Cuántos",
    "BUTTON_NOT_SURE": "No estoy seguro",
    "BUTTON_ORGANISERS": "Avisar a los organizadores",
    "BUTTON_PREFER": "🌱 Preferir más ecológicos / sello local…",
    "BUTTON_PREFER_CHOSEN": "✓ {label}",
    "BUTTON_PREFER_GREEN": "Prácticas más ecológicas",
    "BUTTON_PREFER_MAKERSPACE": "Taller comunitario",
    "BUTTON_PREFER_NONE": "Sin preferencia",
    "BUTTON_RADIUS": "{miles} mi",
    "BUTTON_SEND": "✅ Enviar a los fabricantes",
    "BUTTON_SHARE_CONTACT": "📱 Compartir mi teléfono",
    "BUTTON_SHARE_LOCATION": "📍 Compartir mi ubicación",
    "BUTTON_WIDEN": "Ampliar a {miles} millas",
    "BUYER_ACCEPTED_LINE": "Fabricante {rank} (aceptado): {name}, {phone}",
    "BUYER_ACCEPTED_TOAST": "Aceptado — los presento ahora.",
    "BUYER_ALREADY_COVERED": "Su pedido ya está cubierto por completo.",
    "BUYER_ALREADY_SENT": "Este pedido ya fue enviado.",
    "BUYER_ALREADY_WIDE": "Ya busco dentro de {miles} millas.",
    "BUYER_ANSWER_COUNTS": "{declined} dijeron que no, {waiting} aún sin respuesta",
    "BUYER_ANSWER_GONE": "Esa respuesta ya no está abierta; no cambió nada.",
    "BUYER_ASK_PLACE": "¿Dónde lo necesita? Envíe un código postal o una ciudad, o comparta su ubicación.",
    "BUYER_ASK_QUANTITY": "¿Cuántos {what} necesita? Envíe un número, o toque «No estoy seguro».",
    "BUYER_ASK_QUANTITY_AGAIN": "Envíe un número, por ejemplo 500, o toque «No estoy seguro».",
    "BUYER_ASK_ZIP": "Envíe su código postal (por ejemplo 48201), o comparta su ubicación.",
    "BUYER_CANCELLED": "El pedido {code} está cancelado; se avisó a los fabricantes.",
    "BUYER_COMMITTED": "  {done:,} de {total:,} comprometidos",
    "BUYER_CONTACT_BAD": "Ese número no parece correcto. Toque el botón para compartirlo.",
    "BUYER_CONTACT_SAVED": "Gracias, guardé su número de teléfono.",
    "BUYER_DEADLINE_UNKNOWN": "No entendí esa fecha. Pruebe «viernes», «10 de diciembre», «en 2 semanas» o «urgente».",
    "BUYER_DELIVERED": "{name} dice que su pedido {code} fue entregado.",
    "BUYER_DROPPED": "De acuerdo, descarté ese pedido. Escríbame cuando necesite algo.",
    "BUYER_EDIT_DEADLINE": "¿Para cuándo? (por ejemplo: viernes, 10 de diciembre, en 2 semanas, urgente)",
    "BUYER_EDIT_ITEM": "¿Qué necesita? (por ejemplo: pan de masa madre, tarimas de madera, polos bordados, caretas)",
    "BUYER_EDIT_PLACE": "¿Dónde? Envíe un código postal o una ciudad, o comparta su ubicación.",
    "BUYER_EDIT_QUANTITY": "¿Cuántos? Envíe un número, o «no sé».",
    "BUYER_EXAMPLE": (
        "No entendí qué necesita. Pruebe algo como «necesito 200 tarimas de madera para el viernes cerca de 48201» "
        "o «150 camisetas con nuestro logo urgente»."
    ),
    "BUYER_FIELD_QUANTITY": "• Cuántos: {quantity}",
    "BUYER_FIELD_WHAT": "• Qué: {what}",
    "BUYER_FIELD_WHEN": "• Para cuándo: {when}",
    "BUYER_FIELD_WHERE": "• Dónde: {place}, dentro de {radius:g} millas",
    "BUYER_FIELD_PREFER": "• Preferencia: {prefer}",
    "BUYER_FOUND_EMISSIONS": "≈ {kg} kg CO₂e menos de transporte que importarlo (estimación)",
    "BUYER_FOUND_FITS": "✓ {what}",
    "BUYER_FOUND_GREENER": "más ecológico: {practices}",
    "BUYER_FOUND_LINE": "Fabricante {rank} — {distance}{about}",
    "BUYER_FOUND_NO_SAVING": "no menos transporte que importarlo (estimación)",
    "BUYER_FOUND_PART": " · {part}",
    "BUYER_GROUP_POINTER": "Solo trabajo en chats privados: escríbame directamente.",
    "BUYER_HIDDEN": (
        "Pidió solo {what}, así que dejé fuera a {count} fabricante(s) más de la zona que podrían hacerlo."
    ),
    "BUYER_HELP": (
        "Escriba lo que necesita con sus palabras, por ejemplo «necesito 200 tarimas de madera para el viernes cerca "
        "de 48201». Lo confirmo con usted, escribo por SMS a los mejores fabricantes cercanos y le paso sus "
        "respuestas; acepte una y los presento.\n\n/requests — sus pedidos y las respuestas\n"
        "/cancel — cancelar un pedido\n/settings — código postal, idioma, radio\n/help — este mensaje"
    ),
    "BUYER_INTRODUCTION": (
        "Aceptó al fabricante {rank} para el pedido {code}: {terms}.\n\n{name}\n{phone}{website}\n\n"
        "También tienen sus datos de contacto; acuerden los detalles directamente."
    ),
    "BUYER_ITEM_UNKNOWN": "No reconocí ese artículo. Pruebe un nombre simple como «caretas» o «batas de aislamiento».",
    "BUYER_LANGUAGE_SAVED": "Idioma: {language}",
    "BUYER_LATE": "{name} dice que el pedido {code} viene con retraso{days}.",
    "BUYER_LOCATION_FAR": (
        "Esa ubicación no está cerca de ningún código postal de EE. UU. que conozca. Envíe su código postal."
    ),
    "BUYER_NEED_CONTACT": (
        "Para que el fabricante pueda contactarle, comparta su número de teléfono (no tiene nombre de usuario en "
        "Telegram). Solo lo recibe el fabricante que usted acepte."
    ),
    "BUYER_NOBODY": (
        "Lo siento: ningún fabricante del directorio a menos de {radius:g} millas de {zip} puede hacer {what} "
        "todavía. Puedo buscar más lejos, o avisar a los organizadores, que quizá conozcan a alguien."
    ),
    "BUYER_REST_UNCOVERED": (
        "{done:,} de {total:,} comprometidos para el pedido {code}; ningún fabricante consultado puede hacer el resto."
    ),
    "BUYER_NEED_CONTACT_AGAIN": (
        "Toque el botón para compartir su teléfono, o escríbalo (por ejemplo +1 313 555 0177). /cancel para salir."
    ),
    "BUYER_NOBODY_ONLY": (
        "{hidden} Envíe el pedido de nuevo sin «solo» para consultarlos, o puedo buscar más lejos o avisar a los "
        "organizadores."
    ),
    "BUYER_NOBODY_ANSWERED": "Ninguno de los {count} fabricantes consultados puede tomar el pedido {code}.",
    "BUYER_NOTHING_TO_CANCEL": "No tiene pedidos abiertos para cancelar.",
    "BUYER_NOT_SET": "sin definir",
    "BUYER_NOT_YOURS": "Ese botón pertenece al pedido de otra persona.",
    "BUYER_NO_DEADLINE": "sin fecha límite",
    "BUYER_NO_ORGANISERS": "Este bot aún no tiene organizadores, así que no hay a quién avisar. Lo siento.",
    "BUYER_NO_REQUESTS": "Aún no tiene pedidos. Dígame qué necesita, por ejemplo «500 caretas para el viernes».",
    "BUYER_ORGANISERS_ALREADY": "Los organizadores ya conocen este pedido.",
    "BUYER_ORGANISERS_TOLD": "Avisé a los organizadores; le escribirán si encuentran un fabricante.",
    "BUYER_PARTLY": "{done:,} de {total:,} comprometidos; el resto del pedido sigue abierto para otros fabricantes.",
    "BUYER_PREFER_ASK": (
        "¿Qué fabricantes deben ir primero? Los que encajan suben en la lista y le digo por qué; los demás no quedan "
        "fuera."
    ),
    "BUYER_PREFER_ONLY": "solo {what}",
    "BUYER_PREFER_REMOVED": "Preferencia quitada.",
    "BUYER_PREFER_SAVED": "Preferencia guardada.",
    "BUYER_QUANTITY_OPEN": "aún no lo sé",
    "BUYER_QUOTE": "Fabricante {rank} — {distance} — {terms}",
    "BUYER_RADIUS_SAVED": "Radio de búsqueda: {miles} millas",
    "BUYER_REJECTED_TOAST": "Rechazado. Se avisará al fabricante.",
    "BUYER_REQUEST_LINE": "{code} · {what} · {status}",
    "BUYER_SENT": (
        "Enviado a {count} fabricantes a menos de {radius:g} millas (pedido {code}). Sus respuestas aparecerán aquí."
    ),
    "BUYER_SENT_TOAST": "¡Enviado!",
    "BUYER_SETTINGS": (
        "Su configuración:\n• Código postal: {zip}\n• Idioma: {language}\n• Radio de búsqueda: {radius:g} millas"
    ),
    "BUYER_STALE_BUTTON": "Ese botón está desactualizado; no cambió nada.",
    "BUYER_SUMMARY": "Esto es lo que entendí:\n{summary}\n\n¿Lo envío a los fabricantes cercanos?",
    "BUYER_UNKNOWN_COMMAND": "No conozco ese comando. Pruebe /help.",
    "BUYER_WELCOME": (
        "¡Hola! Le pongo en contacto con fabricantes locales — panaderías, cervecerías, talleres de costura y de "
        "impresión, carpinterías, talleres mecánicos, makerspaces — que pueden hacer lo que necesita: pan para su "
        "café, camisetas con su logo, tarimas de madera, piezas mecanizadas, jabón, caretas y más.\n\n"
        "Primero, ¿dónde está? Envíe su código postal, o comparta su ubicación."
    ),
    "BUYER_WELCOME_BACK": (
        "¡Bienvenido de nuevo {name}! Dígame qué necesita, por ejemplo «500 caretas para el viernes». "
        "Usaré el código postal {zip} salvo que indique otro lugar."
    ),
    "BUYER_WHAT_TO_CHANGE": "¿Qué cambio?",
    "BUYER_WHICH_CANCEL": "¿Qué pedido cancelo? Se avisará por SMS a los fabricantes consultados.",
    "BUYER_ZIP_SAVED": (
        "Entendido: {zip} ({place}). Ahora dígame qué necesita, por ejemplo «500 caretas para el viernes»."
    ),
    "BUYER_ZIP_UNKNOWN": (
        "No encontré «{text}» como código postal o ciudad de EE. UU. Envíe un código de 5 dígitos, o comparta "
        "su ubicación."
    ),
    "BUYER_MAKER_REPLACED": "El fabricante {rank} no respondió, así que consulté a otro fabricante cercano.",
    "BUYER_NUDGE": (
        "{count} respuesta(s) esperan en el pedido {code}:\n{answers}\n\nAcepte una, o ignórelas para cerrarlo."
    ),
    "BUYER_REQUEST_QUIET": "El pedido {code} se cerró porque no se eligió ninguna respuesta. Puede reabrirlo.",
    "BUYER_REQUEST_EXPIRED": "El pedido {code} venció sin pedido. Puede reabrirlo, o enviar uno nuevo.",
    "BUYER_REOPENED": "El pedido {code} está abierto de nuevo; consulté a {count} fabricantes más.",
    "BUYER_CLOSED_BY_ORGANISERS": "Los organizadores cerraron el pedido {code}; se avisó a los fabricantes.",
    "BUYER_REOPENED_BY_ORGANISERS": (
        "Los organizadores reabrieron el pedido {code} y consultaron a {count} fabricantes más."
    ),
    "BUYER_MORE_MAKERS": "Los organizadores consultaron a {count} fabricantes más sobre el pedido {code}.",
    "BUYER_CHECKIN": "¿Llegaron los {what} de {name} (pedido {code})?",
    "BUYER_RATE": "¡Excelente! ¿Qué tal {name}? 1 = malo, 5 = excelente.",
    "BUYER_THANKS_RATING": "¡Gracias por su calificación!",
    "BUYER_NOT_YET_NOTED": "De acuerdo, le preguntaré de nuevo en un par de días.",
    "BUYER_PROBLEM_TOLD": "Lamento oír eso. Avisé a los organizadores y se pondrán en contacto.",
    "BUTTON_REOPEN": "Reabrir",
    "BUTTON_ARRIVED": "Sí",
    "BUTTON_NOT_YET": "Todavía no",
    "BUTTON_PROBLEM": "Problema",
    "DAYS": {1: "1 día"},
    "DAYS_MANY": "{n} días",
    "MAKER_TYPES": {
        "business": "empresa",
        "makerspace": "taller comunitario",
        "school": "escuela o programa de formación",
        "cooperative": "cooperativa",
        "individual": "artesano independiente",
    },
    "MILES_UNKNOWN": "distancia desconocida",
    "PREFERENCE_GREEN": "prácticas más ecológicas",
    "REQUEST_STATUS": {
        "draft": "borrador",
        "open": "abierto",
        "matched": "asignado",
        "fulfilled": "entregado",
        "cancelled": "cancelado",
        "expired": "vencido",
    },
    "TERMS_PRICE_EACH": "a ${price} cada uno",
    "TERMS_PRICE_TOTAL": "por ${price} en total",
    "TERMS_QUANTITY": "puede hacer {quantity:,}",
    "TERMS_QUANTITY_UNKNOWN": "puede hacerlo",
    "TERMS_READY": "listo en {days}",
    "WHEN_ASAP": "lo antes posible",
}
